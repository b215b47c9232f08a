"""tools/prereqs.py, the first step of `make test`: what is missing is named with the command that
installs it, a tier that cannot run is left out (one loud line at the end), and under STRICT=1 (CI)
anything missing is an error before any work."""
import os
import subprocess
import sys
from pathlib import Path

from conftest import script

ROOT = Path(__file__).resolve().parent.parent
SCRIPT = ROOT / "tools" / "prereqs.py"
prereqs = script(SCRIPT)


def run(*args, **env):
    """``python3 tools/prereqs.py ARGS`` with ``env`` added to this environment: (code, stdout, stderr)."""
    done = subprocess.run([sys.executable, str(SCRIPT), *args], capture_output=True, text=True, timeout=60,
                          env={k: v for k, v in os.environ.items() if k != "STRICT"} | env)
    return done.returncode, done.stdout, done.stderr


def test_a_missing_browser_and_python_skip_their_tiers_with_the_install_command():
    code, out, err = run(BOOK_BROWSER="/no/browser", COLAB_PYTHON="/no/python3.13")
    assert code == 0 and out.split() == ["newest"]
    assert "MISSING Chromium: sudo apt-get install chromium" in err
    assert "MISSING Python 3.13 (Colab's Python): pyenv install 3.13" in err
    code, _, err = run("--skipped", BOOK_BROWSER="/no/browser", COLAB_PYTHON="/no/python3.13")
    skipped = err.splitlines()
    assert code == 0 and len(skipped) == 2 and all(line.startswith("*** SKIPPED tier") for line in skipped)
    assert "'colab'" in skipped[0] and "'book'" in skipped[1] and "missing Chromium" in skipped[1]


def test_under_strict_anything_missing_is_an_error():
    code, out, err = run(BOOK_BROWSER="/no/browser", STRICT="1")
    assert code == 1 and out == "" and "STRICT=1 (CI) runs every tier" in err


def test_the_tiers_follow_from_what_is_missing():
    missing = prereqs.Missing
    assert prereqs.tiers([]) == ["newest", "colab", "book"]
    assert prereqs.tiers([missing("a Japanese font", "book", "x"), missing("bubblewrap", None, "y")]) == ["newest", "colab"]
    assert prereqs.tiers([missing("disk", "newest", "x")]) == []     # nothing runs: make test fails
    assert prereqs.skipped_lines([missing("bubblewrap", None, "y")]) == []   # only some tests skip, one line each
