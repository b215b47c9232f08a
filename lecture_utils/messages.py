"""Every line the package prints to a notebook user, and every error it raises, in English and Japanese.

The catalogue is data, ``messages.toml`` beside this module (one table per message: translators
edit it, not code), read into ``MESSAGES`` = {key: {"en": ..., "ja": ...}}.
``say(message, **fields)`` returns a message in the notebook's language with its fields filled in
(``str.format``); ``message`` is a key of the catalogue, or an entry of its shape written inline,
``{"en": ..., "ja": ...}`` (an exercise check's hint, which stays beside its check: a template
with fields like any entry, never an f-string, so an answer's text is never read as one).
``tell`` prints it. The language is ``$LECTURE_UTILS_LANG`` ("ja" or "en", the default), which the
first code cell of each notebook sets (``notebooks/build.py`` writes it). Figures keep ASCII text
(matplotlib has no Japanese font by default); the command line stays English (it never sets the
variable).

``tests/test_messages.py`` checks that every key has both languages with the same fields, and the
nbval run checks that no English line of this catalogue appears in a Japanese notebook's output
(``notebooks/conftest.py``).
"""
from __future__ import annotations

import os
import tomllib
import unicodedata
from collections.abc import Mapping
from importlib import resources

LANG_ENV = "LECTURE_UTILS_LANG"
LANGS = ("en", "ja")
CATALOGUE = "messages.toml"   # package data (pyproject.toml [tool.setuptools.package-data])

GROUPS = tomllib.loads(resources.files(__package__).joinpath(CATALOGUE).read_text(encoding="utf-8"))
MESSAGES = {key: entry for group in GROUPS.values() for key, entry in group.items()}   # {key: {"en", "ja"}}


def language() -> str:
    """'ja' or 'en' (the default): the language of the notebook that runs this code."""
    return "ja" if os.environ.get(LANG_ENV, "").strip().lower() == "ja" else "en"


def say(message: str | Mapping[str, str], **fields) -> str:
    """``message`` in the notebook's language, ``fields`` filled in (``str.format``): a key of the
    catalogue, or an inline entry of its shape, ``{"en": ..., "ja": ...}``."""
    entry = MESSAGES[message] if isinstance(message, str) else message
    return entry[language()].format(**fields)


def tell(message: str | Mapping[str, str], **fields) -> None:
    """Print ``message`` (one line, see `say`) in the notebook's language. Returns None, so a cell
    that ends with it shows the line once."""
    print(say(message, **fields))


def width(text: str) -> int:
    """Columns ``text`` takes in a monospaced font: a Japanese (wide) character takes two."""
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def columns(*cells: tuple[str, int, bool]) -> str:
    """A table's header line in the notebook's language: ``cells`` (text, columns, right-aligned)
    placed as the rows' f-string cells of those widths, one space apart, are (a right-aligned cell
    ends where the rows' cell ends); a cell wider than its column takes room from the spaces before it."""
    line, end = "", -1
    for text, cols, right in cells:
        start, end = end + 1, end + 1 + cols
        gap = (end - width(line) - width(text)) if right else (start - width(line))
        line += " " * max(1 if line else 0, gap) + text
    return line
