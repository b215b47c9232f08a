"""Errors whose message is the whole story (why, and what to do): a notebook shows them as one line,
in its language.

A `LectureError` carries a message of the catalogue (``messages.toml``) and its fields, not text:
``DatasetError("no_mask", image=..., mask=...)``. Its text is said when it is shown, in the language
of that moment: a Japanese notebook shows Japanese, the command line (which never sets
``LECTURE_UTILS_LANG``) English. A field that is itself a message comes said, in the same
process's language, or is an error, said with it. Each kind is mixed with the built-in exception
its callers catch (``DatasetError`` is a ValueError, ``DownloadError`` an OSError), so every
``except`` that caught it still does; code tells failures apart by these types, never by their words.

A function called with arguments it does not take (a shape, a name not among its choices) raises
Python's own ValueError instead, whose traceback points at the call.
"""
from __future__ import annotations

from .messages import say

RED, RESET = "\x1b[0;31m", "\x1b[0m"   # IPython's colour for an error's name


class OneLineError:
    """Mixin for an exception whose message says everything the user needs: IPython (Jupyter, Colab's
    IPython 7.34 too) calls ``_render_traceback_`` on an exception that defines it and shows the lines
    it returns, ``Name: message``, instead of the traceback and its chained causes.  Elsewhere
    (pytest, the command line, a plain Python) the exception behaves as usual."""

    def _render_traceback_(self) -> list[str]:
        return [f"{RED}{type(self).__name__}{RESET}: {' '.join(str(self).split())}"]


class LectureError(OneLineError):
    """Mixin: an error whose message is ``message`` (a catalogue key, or an inline entry as
    ``messages.say`` takes it) with ``fields``, said when shown."""

    def __init__(self, message, **fields):
        super().__init__(message)
        self.message, self.fields = message, fields

    def __str__(self) -> str:
        return say(self.message, **self.fields)


class SettingError(LectureError, ValueError):
    """A setting this machine cannot follow: an environment variable, a notebook's choice, a device."""


class Diverged(LectureError, FloatingPointError):
    """A loss or the weights of a training run became NaN or inf."""


class Stopped(LectureError, KeyboardInterrupt):
    """Ctrl-C (the stop button) during a training run, said with where its last checkpoint is."""


def clause(error: BaseException) -> str:
    """What failed, in one clause (a fallback line names it): the error's ``reason`` if it has one
    (a download's, without how to go on by hand), else its text; the first sentence, on one line."""
    return " ".join(str(getattr(error, "reason", error)).split()).split(". ")[0].rstrip(".。")
