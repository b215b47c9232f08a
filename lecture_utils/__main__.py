"""``python -m lecture_utils``: the command line is the lecturer's package, ``python -m lecture_tools``."""
import sys

print("error: the command line is the lecturer's package now: python -m lecture_tools data|vae|anogan|homework "
      "(pip install ./lecturer in a checkout; docs/teaching.md, 'Command line')", file=sys.stderr)
sys.exit(2)
