"""``python -m lecture_utils vae ...`` (placeholder until its issue lands)."""


def register(groups) -> None:
    parser = groups.add_parser("vae", help="vae commands")
    parser.set_defaults(func=lambda args: parser.print_help())
