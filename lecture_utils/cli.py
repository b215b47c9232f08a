"""``python -m lecture_utils``: prepare data, train and evaluate both lectures' models.

Each command group lives beside the code it drives (``data/cli.py``, ``vae/cli.py``, ``anogan/cli.py``);
each module exposes ``register(subparsers)`` and sets ``func`` on its parsers.
Errors that a user can fix (a missing folder, a failed download) print one line, no traceback.
"""
from __future__ import annotations

import argparse
import sys

from . import homework_cli
from .anogan import cli as cli_anogan
from .data import cli as cli_data
from .vae import cli as cli_vae


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m lecture_utils", description=__doc__.splitlines()[0])
    groups = parser.add_subparsers(dest="group", required=True, metavar="{data,vae,anogan,homework}")
    for module in (cli_data, cli_vae, cli_anogan, homework_cli):
        module.register(groups)
    return parser


def main(argv=None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return args.func(args) or 0
    except (OSError, ValueError) as e:  # user-fixable: bad paths, bad input, failed downloads
        print(f"error: {e}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
