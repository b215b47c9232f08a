"""What `make test` needs from the machine, checked in a second, before anything is installed.

    python3 tools/prereqs.py           # stderr: what is here and what is missing, with the command that
                                       # installs it; stdout: the tiers that can run (for the Makefile)
    python3 tools/prereqs.py --skipped # stderr: one loud line per tier that cannot run (the end of make test)

A tier that cannot run here is skipped, and `make test` still passes; with STRICT=1 (CI, `.ci/run`) every
missing prerequisite is an error instead, before any work. Only the standard library: it runs before the
virtual environments exist.
"""
from __future__ import annotations

import glob
import importlib.util
import os
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
GB = 2**30
VENV_GB = 7            # torch's CUDA wheels and the rest of one virtual environment
CHROMIUMS = ("chromium", "chromium-browser", "google-chrome")


@dataclass
class Missing:
    what: str          # "Chromium", "Python 3.13", ...
    tier: str | None   # the tier that cannot run without it (None: only some tests skip)
    install: str       # the command that installs it


def colab_python() -> str | None:
    """Colab's Python (3.13): $COLAB_PYTHON, else pyenv's copy, else python3.13 on the PATH (as the Makefile)."""
    if os.environ.get("COLAB_PYTHON"):
        return shutil.which(os.environ["COLAB_PYTHON"])
    found = sorted(glob.glob(os.path.expanduser("~/.pyenv/versions/3.13*/bin/python3.13")))
    return found[0] if found else shutil.which("python3.13")


def browser() -> str | None:
    """The browser the book's test opens pages in ($BOOK_BROWSER, else Chromium or Chrome)."""
    return shutil.which(os.environ["BOOK_BROWSER"]) if os.environ.get("BOOK_BROWSER") \
        else next(filter(None, map(shutil.which, CHROMIUMS)), None)


def japanese_font() -> bool:
    """Whether fontconfig knows a font with Japanese glyphs (the book's screenshots need one)."""
    if not shutil.which("fc-list"):
        return False
    return bool(subprocess.run(["fc-list", ":lang=ja", "family"], capture_output=True, text=True).stdout.strip())


def gigabytes_needed(venv: str) -> int:
    """Free disk the virtual environment ``venv`` still needs (nothing once it is installed)."""
    return 0 if (ROOT / venv / ".installed").exists() else VENV_GB


def missing() -> list[Missing]:
    """Every prerequisite of `make test` this machine lacks."""
    found = []
    if sys.version_info < (3, 11):
        found.append(Missing(f"Python >= 3.11 (python3 is {sys.version.split()[0]})", "newest",
                             "install Python 3.11 or newer (e.g. pyenv install 3.11)"))
    if importlib.util.find_spec("ensurepip") is None:   # Debian ships `python3 -m venv` apart
        found.append(Missing("the venv module of python3", "newest", "sudo apt-get install python3-venv"))
    if not colab_python():
        found.append(Missing("Python 3.13 (Colab's Python)", "colab",
                             "pyenv install 3.13, or set COLAB_PYTHON=/path/to/python3.13"))
    if not browser():
        found.append(Missing("Chromium", "book", "sudo apt-get install chromium"))
    if not japanese_font():
        found.append(Missing("a Japanese font", "book", "sudo apt-get install fonts-ipafont-gothic"))
    if not shutil.which("bwrap"):
        found.append(Missing("bubblewrap (the grader's sandbox; its tests skip)", None, "sudo apt-get install bubblewrap"))
    free, newest, colab = shutil.disk_usage(ROOT).free / GB, gigabytes_needed(".venv"), gigabytes_needed(".venv-colab")
    if free < newest + colab + 1:
        tier, need = ("newest", newest + 1) if free < newest + 1 else ("colab", newest + colab + 1)
        found.append(Missing(f"{need} GB of free disk for the virtual environments ({free:.0f} GB free)", tier,
                             "free some disk (`make clean` in old clones removes their .venv and .venv-colab)"))
    return found


TIERS = {"newest": "the newest packages: unit tests and the Japanese student notebooks",
         "colab": "Google Colab's versions: data, download and widget tests and the English student notebooks",
         "book": "the reading copy, its instructor notebooks executed, opened in headless Chromium"}


def tiers(found: list[Missing]) -> list[str]:
    """The tiers whose prerequisites are all here (the book reuses the newest tier's weights)."""
    blocked = {m.tier for m in found}
    return [] if "newest" in blocked else [t for t in TIERS if t not in blocked]


def skipped_lines(found: list[Missing]) -> list[str]:
    """One loud line per tier that cannot run."""
    runnable = tiers(found)
    return [f"*** SKIPPED tier '{t}' ({TIERS[t]}): missing " + ", ".join(m.what for m in found if m.tier == t)
            + " (see the top of this output) ***" for t in TIERS if t not in runnable]


def main(argv: list[str]) -> int:
    found, strict = missing(), os.environ.get("STRICT", "").lower() in ("1", "true", "yes", "on")
    if "--skipped" in argv:
        for line in skipped_lines(found):
            print(line, file=sys.stderr)
        return 0
    for m in found:
        print(f"prerequisites: MISSING {m.what}: {m.install}", file=sys.stderr)
    if strict and found:
        print("prerequisites: STRICT=1 (CI) runs every tier: install what is missing above", file=sys.stderr)
        return 1
    if not tiers(found):
        return 1
    print(f"prerequisites: tiers to run: {' '.join(tiers(found))}"
          + ("" if found else " (everything is here)"), file=sys.stderr)
    print(" ".join(tiers(found)))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
