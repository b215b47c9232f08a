"""Each lecture's instructor solutions, pasted into its student notebook as a student would, get full
marks from `python -m lecture_tools homework grade --reduced` (the notebook runs whole, in its
sandbox, at the CI-sized settings, and the references are built at the same settings). Each lecture's
notebook runs once, in the data folder the test run was given (make test-book: the newest tier's), so
the weights its nbval run trained are loaded, not trained again; with no folder given, in a new one."""
import csv
import json
import sys
from pathlib import Path

import pytest

from conftest import GIVEN_DATA, sandboxed
from lecture_tools.cli import main

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "notebooks"))
import build  # noqa: E402

LECTURES = sorted(p.stem for p in (ROOT / "notebooks" / "grading").glob("*.json"))


def pasted(lecture: str, lang: str) -> dict:
    """The student notebook of ``lecture`` with each instructor solution pasted over its placeholder."""
    student = json.loads((ROOT / "notebooks" / lang / f"{lecture}.ipynb").read_text("utf-8"))
    instructor = json.loads((ROOT / "notebooks" / "instructor" / lang / f"{lecture}.ipynb").read_text("utf-8"))
    solutions = ["".join(c["source"]) for c in instructor["cells"]
                 if c["cell_type"] == "code" and not build.hidden("".join(c["source"]))]
    cells = [c for c in student["cells"] if c["cell_type"] == "code"]
    assert len(cells) == len(solutions)
    changed = 0
    for cell, solution in zip(cells, solutions):
        if "".join(cell["source"]) != solution:
            assert build.strip_solutions(solution) == "".join(cell["source"])   # the same cell, its answer filled in
            cell["source"], changed = solution, changed + 1
    assert changed >= 2
    return student


@pytest.mark.parametrize("lecture, lang", [(name, "ja" if name.startswith("01") else "en") for name in LECTURES])
def test_instructor_solutions_pasted_into_the_student_notebook_get_full_marks(lecture, lang, tmp_path, monkeypatch):
    if GIVEN_DATA:
        monkeypatch.setenv("LECTURE_UTILS_DATA", GIVEN_DATA)
    sandboxed()
    (tmp_path / "s").mkdir()
    (tmp_path / "s" / "student.ipynb").write_text(json.dumps(pasted(lecture, lang)), "utf-8")
    out = tmp_path / "grades.csv"
    assert main(["homework", "grade", str(tmp_path / "s"), "--bundle", str(ROOT / "notebooks/grading" / f"{lecture}.json"),
                 "--out", str(out), "--reduced", "--timeout", "600"]) == 0
    with open(out, newline="", encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    bundle = json.loads((ROOT / "notebooks/grading" / f"{lecture}.json").read_text("utf-8"))
    assert [(r["question"], r["points"]) for r in rows] == [(q["question"], str(q["points"])) for q in bundle["questions"]], \
        [r["feedback"] for r in rows if r["points"] != r["max_points"]]
    assert {r["settings"] for r in rows} == {"reduced"}
