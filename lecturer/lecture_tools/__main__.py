"""``python -m lecture_tools``: one line and exit code 130 for a Ctrl-C at any moment, imports included."""
import signal
import sys

try:
    from .cli import main    # imports torch: seconds in which a Ctrl-C must still be one line
    code = main()
    signal.signal(signal.SIGINT, signal.SIG_IGN)   # from here a Ctrl-C cannot interrupt the exit
except KeyboardInterrupt:
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    print("interrupted; nothing was written", file=sys.stderr)
    code = 130
sys.exit(code)
