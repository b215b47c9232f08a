"""Grade a folder of submitted notebooks into a CSV (student, question, points), offline, without Docker.

For each ``SUBMISSIONS/*.ipynb`` (the student's name is the file name): execute it from top to
bottom in a fresh Jupyter kernel (nbclient; a cell that raises does not stop the run), then run
the hidden checks of the lecture's grading bundle (``notebooks/grading/NAME.json``, written by
``notebooks/build.py`` from the ``# HIDDEN CHECKS`` cells) in the same kernel, one question at a
time: a question gets its points when its hidden-check cell runs without error, else 0.

The submitted code runs with the grader's rights (otter-grader's Docker would isolate it): grade
on a machine where that is acceptable.

    python -m lecture_utils homework grade SUBMISSIONS --bundle notebooks/grading/02_anogan.json --out grades.csv
"""
from __future__ import annotations

import csv
import json
import os
import tempfile
from contextlib import contextmanager
from pathlib import Path

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


def grading_cell(bundle: dict) -> str:
    """Code appended to a submission: run each question's hidden checks, print the outcomes as JSON."""
    checks = json.dumps([[q["question"], q["code"]] for q in bundle["questions"]])
    return (f"import json as _json\n_grades = {{}}\nfor _q, _code in _json.loads({checks!r}):\n"
            "    try:\n        exec(compile(_code, 'hidden checks ' + _q, 'exec'), globals())\n"
            "        _grades[_q] = True\n    except Exception:\n        _grades[_q] = False\n"
            f"print({MARK!r} + _json.dumps(_grades))")


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
    nb.cells.append(nbformat.v4.new_code_cell(grading_cell(bundle)))
    env = {"LECTURE_UTILS_REDUCED": "1"} if reduced else {}
    with tempfile.TemporaryDirectory(prefix="grading-") as work, _environment(env):
        client = NotebookClient(nb, timeout=timeout, kernel_name="python3", allow_errors=True,
                                resources={"metadata": {"path": work}})
        try:
            client.execute()
        except Exception as e:  # a cell ran past the timeout or the kernel died
            print(f"{Path(path).name}: execution stopped ({type(e).__name__}); 0 points for unchecked questions")
            return failed
    for out in nb.cells[-1].get("outputs", []):
        for line in out.get("text", "").splitlines():
            if line.startswith(MARK):
                return failed | {q: bool(ok) for q, ok in json.loads(line[len(MARK):]).items() if q in failed}
    return failed


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
    out.parent.mkdir(parents=True, exist_ok=True)
    partial = out.with_name(out.name + ".partial")
    with open(partial, "w", newline="", encoding="utf-8") as f:
        writer = csv.DictWriter(f, FIELDS)
        writer.writeheader()
        writer.writerows(rows)
    partial.replace(out)
    return rows
