"""Errors whose message is the whole story (why, and what to do): a notebook shows them as one line."""
from __future__ import annotations

RED, RESET = "\x1b[0;31m", "\x1b[0m"   # IPython's colour for an error's name


class OneLineError:
    """Mixin for an exception whose message says everything the user needs: IPython (Jupyter, Colab's
    IPython 7.34 too) calls ``_render_traceback_`` on an exception that defines it and shows the lines
    it returns, ``Name: message``, instead of the traceback and its chained causes.  Elsewhere
    (pytest, the command line, a plain Python) the exception behaves as usual."""

    def _render_traceback_(self) -> list[str]:
        return [f"{RED}{type(self).__name__}{RESET}: {' '.join(str(self).split())}"]
