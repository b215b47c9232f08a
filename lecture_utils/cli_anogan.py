"""``python -m lecture_utils anogan ...`` (placeholder until its issue lands)."""


def register(groups) -> None:
    parser = groups.add_parser("anogan", help="anogan commands")
    parser.set_defaults(func=lambda args: parser.print_help())
