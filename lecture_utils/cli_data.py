"""``python -m lecture_utils data ...`` (placeholder until its issue lands)."""


def register(groups) -> None:
    parser = groups.add_parser("data", help="data commands")
    parser.set_defaults(func=lambda args: parser.print_help())
