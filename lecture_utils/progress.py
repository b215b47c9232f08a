"""Progress bars that a notebook keeps as one line.

tqdm's text bar redraws its line with ``\\r``; in a terminal that updates it in place, but a Jupyter
kernel sends each redraw as one more stream output, so an executed notebook (and the book made from
it) keeps every update: thousands of lines for one training loop.  ``tqdm.auto`` draws a widget
instead, which a saved notebook keeps at 0 %.  Here, in a kernel, the bar's line is one display
output updated by its id (``update_display``): Jupyter and Colab redraw it in place while it runs,
and the saved notebook holds its last state, e.g. ``GAN: 100%|##########| 30/30 [...]``.  Outside a
kernel (command line, terminal) nothing changes: tqdm writes to stderr as usual.

``bar(...)``: tqdm's bar for the package's loops.  ``one_line_bars()``: meanwhile, the bars other
libraries draw on stderr (gdown's downloads) are kept to one line too.
"""
from __future__ import annotations

import contextlib
import sys
import threading
import time

from tqdm import tqdm  # the text bar (tqdm.auto would save a widget at 0 %)


def in_kernel() -> bool:
    """True inside a Jupyter kernel (IPython with a kernel: Jupyter, Colab), where a display can be
    updated in place; False on the command line and in a terminal IPython."""
    ipython = sys.modules.get("IPython")
    shell = ipython.get_ipython() if ipython is not None else None
    return getattr(shell, "kernel", None) is not None


class LineDisplay:
    """A text stream for tqdm in a kernel: the text after the last ``\\r`` is the bar's line, shown
    as one ``text/plain`` display updated in place (at most every ``interval`` s, and always once
    finished); a line ended by ``\\n`` that was never redrawn (a message) goes to ``out`` as it is."""

    def __init__(self, out, interval: float = 0.2):
        self.out, self.interval = out, interval
        self.encoding = getattr(out, "encoding", None) or "utf-8"   # tqdm draws Unicode blocks on UTF-8
        self.line, self.redrawn, self.handle, self.shown_at, self.showing = "", False, None, 0.0, False
        self.owner = threading.current_thread()   # displays are sent from the cell's thread only

    def write(self, text: str) -> int:
        for char in text:
            if char == "\r":
                self.line, self.redrawn = "", True
            elif char == "\n":
                self._end_line()
            else:
                self.line += char
        self.flush()
        return len(text)

    def flush(self) -> None:
        """Show the bar's line if the last update is ``interval`` s old (tqdm flushes after each redraw)."""
        if self.redrawn and self.line.strip() and time.monotonic() - self.shown_at >= self.interval:
            self._show()

    def close(self) -> None:
        """End the current line (a message without its newline is written out)."""
        if self.line:
            self._end_line()

    def _end_line(self) -> None:
        if self.redrawn:
            if self.line.strip():
                self._show()
            self.handle = None                    # the next bar gets a display of its own
        else:
            self.out.write(self.line + "\n")
        self.line, self.redrawn = "", False

    def _show(self) -> None:
        if threading.current_thread() is not self.owner or self.showing:
            return                   # (displaying flushes sys.stderr: this stream, when it stands in for it)
        from IPython.display import display
        data = {"text/plain": self.line.rstrip()}
        self.showing, self.shown_at = True, time.monotonic()
        try:
            if self.handle is None:
                for stream in (sys.stdout, self.out):     # lines printed before the bar stay above it
                    stream.flush()
                self.handle = display(data, raw=True, display_id=True)
            else:
                self.handle.update(data, raw=True)
        finally:
            self.showing = False


def bar(iterable=None, **kwargs) -> tqdm:
    """``tqdm(iterable, **kwargs)``, drawn on one line updated in place inside a kernel (`LineDisplay`)."""
    if in_kernel() and not kwargs.get("disable") and "file" not in kwargs:
        kwargs["file"] = LineDisplay(sys.stderr)
    return tqdm(iterable, **kwargs)


@contextlib.contextmanager
def one_line_bars():
    """Meanwhile, in a kernel, what other libraries write to stderr goes through a `LineDisplay`:
    their tqdm bars become one line updated in place, their messages stay as they are."""
    if not in_kernel():
        yield
        return
    stream = LineDisplay(sys.stderr)
    try:
        with contextlib.redirect_stderr(stream):
            yield
    finally:
        stream.close()
