"""Grade a folder of submitted notebooks into a CSV (student, question, points), offline, without Docker.

For each ``SUBMISSIONS/*.ipynb`` (the student's name is the file name): execute it from top to
bottom in a fresh Jupyter kernel (nbclient; a cell that raises, or runs past ``timeout`` seconds and is
interrupted, does not stop the run), then run
the hidden checks of the lecture's grading bundle (``notebooks/grading/NAME.json``, written by
``notebooks/build.py`` from the ``# HIDDEN CHECKS`` cells) in the same kernel, one question at a
time: a question gets its points when its hidden-check cell runs without error, else 0.

The submitted code runs with the grader's rights (otter-grader's Docker would isolate it): grade
on a machine where that is acceptable.

    python -m lecture_utils homework grade SUBMISSIONS --bundle notebooks/grading/02_anogan.json --out grades.csv
"""
from __future__ import annotations

import csv
import io
import json
import os
import tempfile
from contextlib import contextmanager
from pathlib import Path

from .outputs import write_text

MARK = "LECTURE_UTILS_GRADES "
FIELDS = ("student", "question", "points", "max_points")


def load_bundle(path) -> dict:
    """The grading bundle {"notebook": name, "questions": [{"question", "points", "code"}, ...]}."""
    path = Path(path)
    if not path.is_file():
        raise ValueError(f"no grading bundle at {path} (run `python notebooks/build.py` in the checkout)")
    bundle = json.loads(path.read_text(encoding="utf-8"))
    if not bundle.get("questions"):
        raise ValueError(f"{path} lists no questions")
    return bundle


def grading_cell(question: dict) -> str:
    """Code appended to a submission for one question: run its hidden checks, print the outcome."""
    q = question["question"]
    return (f"try:\n    exec(compile({question['code']!r}, 'hidden checks {q}', 'exec'), globals())\n"
            f"    _passed = True\nexcept Exception:\n    _passed = False\nprint({MARK!r} + {q!r} + ' ' + str(_passed))")


@contextmanager
def _environment(changes: dict):
    """os.environ with ``changes`` while the kernel starts (it inherits them), restored after."""
    old = {k: os.environ.get(k) for k in changes}
    os.environ.update(changes)
    try:
        yield
    finally:
        for k, v in old.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


def passed_questions(path, bundle: dict, timeout: int = 1800, reduced: bool = False) -> dict[str, bool]:
    """{question: passed} for one submitted notebook (all False if it cannot be read or run)."""
    try:
        import nbformat
        from nbclient import NotebookClient
    except ImportError as e:
        raise ValueError(f"grading needs nbclient and ipykernel ({e}): pip install nbclient ipykernel") from None

    failed = {q["question"]: False for q in bundle["questions"]}
    try:
        nb = nbformat.read(str(path), as_version=4)
    except Exception as e:  # not a notebook: grade 0, say why
        print(f"{Path(path).name}: not a readable notebook ({type(e).__name__}: {e}); 0 points")
        return failed
    nb.cells += [nbformat.v4.new_code_cell(grading_cell(q)) for q in bundle["questions"]]
    env = {"LECTURE_UTILS_REDUCED": "1"} if reduced else {}
    with tempfile.TemporaryDirectory(prefix="grading-") as work, _environment(env):
        # a cell past the timeout is interrupted and the run goes on (its question will likely fail)
        client = NotebookClient(nb, timeout=timeout, kernel_name="python3", allow_errors=True,
                                interrupt_on_timeout=True, resources={"metadata": {"path": work}})
        try:
            client.execute()
        except Exception as e:  # the kernel died
            print(f"{Path(path).name}: execution stopped ({type(e).__name__}); 0 points for unchecked questions")
    passed = dict(failed)
    for cell in nb.cells[-len(failed):]:
        for out in cell.get("outputs", []):
            for line in out.get("text", "").splitlines():
                q, _, ok = line[len(MARK):].partition(" ") if line.startswith(MARK) else ("", "", "")
                if q in passed:
                    passed[q] = ok == "True"
    return passed


def grade_folder(folder, bundle_path, out, timeout: int = 1800, reduced: bool = False) -> list[dict]:
    """Grade every ``folder/*.ipynb`` and write the CSV ``out``; returns its rows."""
    folder, out = Path(folder), Path(out)
    bundle = load_bundle(bundle_path)
    submissions = sorted(folder.glob("*.ipynb")) if folder.is_dir() else []
    if not submissions:
        raise ValueError(f"no submitted notebooks (*.ipynb) in {folder}")
    rows = []
    for path in submissions:
        passed = passed_questions(path, bundle, timeout, reduced)
        for q in bundle["questions"]:
            rows.append({"student": path.stem, "question": q["question"],
                         "points": q["points"] if passed[q["question"]] else 0, "max_points": q["points"]})
        got = sum(r["points"] for r in rows if r["student"] == path.stem)
        print(f"{path.stem}: {got} / {sum(q['points'] for q in bundle['questions'])} points")
    text = io.StringIO(newline="")
    writer = csv.DictWriter(text, FIELDS)
    writer.writeheader()
    writer.writerows(rows)
    write_text(out, text.getvalue())            # written beside ``out`` and renamed: never half a file
    return rows
