"""The grader: two made-up submissions of the data notebook (00) graded into the exact CSV points,
the checks' three outcomes in both languages, and the CLI's one-line errors."""
import csv
import json
from pathlib import Path

import pytest

from lecture_utils import checks, grading
from lecture_utils.cli import main
from lecture_utils.data import homework as hw00
from lecture_utils.data.synthetic import CapsuleSpec, write_synthetic_capsule

ROOT = Path(__file__).resolve().parent.parent
BUNDLE = ROOT / "notebooks" / "grading" / "00_datasets.json"
WRONG = "    return masks.flatten(1).sum(1)  # a count, not a share"


def test_grader_gives_the_exact_points_of_two_made_up_submissions(tmp_path, monkeypatch, capsys):
    # A small capsule folder keeps the two notebook runs short; the kernels inherit the variable.
    capsule = write_synthetic_capsule(tmp_path / "capsule", CapsuleSpec(n_train=6, n_test_good=2, n_test_defect=1, size=64))
    monkeypatch.setenv("LECTURE_UTILS_CAPSULE", str(capsule))
    folder = tmp_path / "submissions"
    folder.mkdir()
    # alice: the instructor's notebook (every answer right)
    (folder / "alice.ipynb").write_text((ROOT / "notebooks/instructor/en/00_datasets.ipynb").read_text("utf-8"), "utf-8")
    # bob: the student's notebook with exercise 1 answered wrongly and exercise 2 left blank
    student = (ROOT / "notebooks/ja/00_datasets.ipynb").read_text("utf-8")
    placeholder = json.dumps('    raise NotImplementedError("your code here")\n')
    assert student.count(placeholder) == 1
    (folder / "bob.ipynb").write_text(student.replace(placeholder, json.dumps(WRONG + "\n")), "utf-8")
    (folder / "notes.txt").write_text("not a notebook")

    assert main(["homework", "grade", str(folder), "--bundle", str(BUNDLE), "--out", str(tmp_path / "g.csv"),
                 "--reduced"]) == 0
    with open(tmp_path / "g.csv", newline="", encoding="utf-8") as f:
        rows = [(r["student"], r["question"], int(r["points"]), int(r["max_points"])) for r in csv.DictReader(f)]
    assert rows == [("alice", "q1", 2, 2), ("alice", "q2", 1, 1), ("bob", "q1", 0, 2), ("bob", "q2", 0, 1)]
    assert "alice: 3 / 3 points" in capsys.readouterr().out
    assert not list(tmp_path.glob("*.partial"))


def test_grader_errors_are_one_line(tmp_path, capsys):
    assert main(["homework", "grade", str(tmp_path), "--bundle", str(BUNDLE)]) == 2
    assert "no submitted notebooks" in capsys.readouterr().err
    assert main(["homework", "grade", str(tmp_path), "--bundle", str(tmp_path / "none.json")]) == 2
    assert "no grading bundle" in capsys.readouterr().err


def test_a_hanging_cell_is_interrupted_and_only_its_question_fails(tmp_path):
    import nbformat
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(c) for c in
                                         ("x = 1", "while True:\n    pass", "y = 3", "z = 1 / 0", "w = 4")])
    nbformat.write(nb, str(tmp_path / "dave.ipynb"))
    bundle = {"questions": [{"question": q, "points": 1, "code": code} for q, code in
                            (("q1", "assert x == 1"), ("q2", "assert y == 2"), ("q3", "assert w == 4"),
                             ("q4", "while True:\n    pass"))]}
    assert grading.passed_questions(tmp_path / "dave.ipynb", bundle, timeout=3) == {
        "q1": True, "q2": False, "q3": True, "q4": False}


def test_an_unreadable_submission_gets_zero_points(tmp_path, capsys):
    (tmp_path / "carol.ipynb").write_text("{ not json")
    bundle = grading.load_bundle(BUNDLE)
    assert grading.passed_questions(tmp_path / "carol.ipynb", bundle) == {"q1": False, "q2": False}
    assert "not a readable notebook" in capsys.readouterr().out


@pytest.mark.parametrize("lang, blank, right, wrong", [("en", "Not answered yet.", "Correct:", "Not yet:"),
                                                       ("ja", "まだ解答されていません", "正解:", "まだです:")])
def test_checks_report_three_outcomes_in_the_notebooks_language(monkeypatch, capsys, lang, blank, right, wrong):
    monkeypatch.setenv(checks.LANG_ENV, lang)

    def unanswered(masks):
        raise NotImplementedError("your code here")

    assert hw00.check_defect_fraction(None) is None
    assert hw00.check_defect_fraction(unanswered) is None
    assert blank in capsys.readouterr().out
    assert hw00.check_defect_fraction(lambda m: (m > 0.5).flatten(1).float().mean(1)) is True
    assert right in capsys.readouterr().out
    assert hw00.check_defect_fraction(lambda m: m.flatten(1).sum(1)) is False
    out = capsys.readouterr().out
    assert wrong in out and "0.25" not in out  # a hint, never the reference's values
    assert hw00.check_defect_fraction(lambda m: m.mean()) is False   # wrong shape
    assert hw00.check_defect_fraction(lambda m: 1 / 0) is False       # the student's error is reported
    assert "ZeroDivisionError" in capsys.readouterr().out


def test_hidden_checks_return_a_bool_and_print_nothing(capsys):
    assert hw00.hidden_defect_fraction(lambda m: (m > 0.5).flatten(1).float().mean(1)) is True
    assert hw00.hidden_defect_fraction(None) is False
    assert hw00.hidden_defect_fraction(lambda m: m.flatten(1).sum(1)) is False
    assert capsys.readouterr().out == ""
