"""``python -m lecture_tools`` and the ``lecture-tools`` script: one line and exit code 130 for a Ctrl-C
at any moment, imports included.

A Ctrl-C while torch, numpy and scipy load their C extensions does not always surface as a
KeyboardInterrupt: it can leave a half-imported module that fails later as an ImportError
("initialization failed") or a RecursionError inside numpy. So while :mod:`.cli` is imported, SIGINT
ends the process at once with the line (nothing has been written yet); from :func:`cli.main` on it is
a KeyboardInterrupt, which each command answers with where it stopped.
"""
import os
import signal
import sys

from . import NOTHING_WRITTEN


def leave_now(signum, frame):
    """SIGINT while the modules load: the line, exit 130, no clean-up of half-imported modules."""
    os.write(2, f"{NOTHING_WRITTEN}\n".encode())
    os._exit(130)


def run():
    previous = signal.getsignal(signal.SIGINT)
    if previous is signal.default_int_handler:   # not where Ctrl-C is ignored (nohup, a background job)
        signal.signal(signal.SIGINT, leave_now)
    from .cli import main    # imports torch: seconds in which a Ctrl-C must still be one line
    signal.signal(signal.SIGINT, previous)
    try:
        code = main()
    except KeyboardInterrupt:   # in the instant before main's own handler
        print(NOTHING_WRITTEN, file=sys.stderr)
        code = 130
    signal.signal(signal.SIGINT, signal.SIG_IGN)   # from here a Ctrl-C cannot interrupt the exit
    sys.exit(code)


if __name__ == "__main__":
    run()
