"""``python -m lecture_tools``: prepare data, train and evaluate both lectures' models.

Each command group is a module (``data_cli.py``, ``vae_cli.py``, ``anogan_cli.py``, and ``grading.py``
for homework) driving the code of ``lecture_utils`` it names; each exposes ``register(subparsers)``
and sets ``func`` on its parsers.
Errors that a user can fix (a missing folder, a bad argument, a failed download, Ctrl-C) print one
line, no traceback; arguments are checked before any work starts.
"""
from __future__ import annotations

import argparse
import signal
import sys

from . import NOTHING_WRITTEN, anogan_cli, data_cli, grading, vae_cli


class Parser(argparse.ArgumentParser):
    """argparse, but a bad argument is one line (``error: argument --epochs: ...``), exit code 2."""

    def error(self, message):
        self.exit(2, f"error: {message} (see {self.prog} --help)\n")


def build_parser() -> argparse.ArgumentParser:
    parser = Parser(prog="python -m lecture_tools", description=__doc__.splitlines()[0])
    groups = parser.add_subparsers(dest="group", required=True, metavar="{data,vae,anogan,homework}")
    for module in (data_cli, vae_cli, anogan_cli, grading):
        module.register(groups)
    return parser


def main(argv=None) -> int:
    try:
        args = build_parser().parse_args(argv)   # the defaults read LECTURE_UTILS_REDUCED: a bad value is one line
        return args.func(args) or 0
    except KeyboardInterrupt as e:  # a command that keeps state re-raises with where it is
        previous = signal.signal(signal.SIGINT, signal.SIG_IGN)   # a second Ctrl-C does not cut the line
        print(f"interrupted: {e}" if str(e) else NOTHING_WRITTEN, file=sys.stderr)
        signal.signal(signal.SIGINT, previous)
        return 130
    except (OSError, ValueError, ArithmeticError) as e:  # bad paths or input, failed downloads, NaN
        print(f"error: {e}", file=sys.stderr)
        return 2

