"""Grade a folder of submitted notebooks into a CSV (student, question, points, feedback), offline, without Docker.

The student's kernel produces answers; a clean process judges them:

1. Before any submitted code runs: the bundle and every submission are read into memory, ``--out``
   is checked (writable; not inside the submissions folder, not a submission, not the bundle), and
   each question's cases and reference data are built here (``judge.prepare``).
2. Each submission runs in its own temporary folder, in a fresh kernel that is killed when a cell
   passes ``timeout`` (``submission.execute``); a collection cell saves the value answers.
3. Each question is judged here (``judge.verdict``): function answers by calling the notebook's
   ``def`` in a fresh ``python -I`` process on this process's inputs, values by comparing them with
   data rebuilt here. Submitted code never runs in this process; nothing is parsed from what it printed.
4. The CSV is written once, at the end, beside ``out`` and renamed into place; cells that a
   spreadsheet would read as a formula are escaped. Ctrl-C writes nothing.

    python -m lecture_utils homework grade SUBMISSIONS --bundle notebooks/grading/02_anogan.json --out grades.csv
"""
from __future__ import annotations

import csv
import io
import os
from pathlib import Path
from unittest import mock

from . import judge, submission
from .arguments import integer
from .checks import LANG_ENV
from .outputs import check_writable, write_text

def register(groups) -> None:
    parser = groups.add_parser("homework", help="grade submitted homework notebooks", description=__doc__.splitlines()[0])
    p = parser.add_subparsers(dest="command", required=True).add_parser(
        "grade", help="run each SUBMISSIONS/*.ipynb in its own folder, judge it in a clean process, write a CSV")
    p.add_argument("submissions", type=Path, help="folder of submitted notebooks (student = file name)")
    p.add_argument("--bundle", type=Path, required=True, help="the lecture's notebooks/grading/NAME.json")
    p.add_argument("--out", type=Path, default=Path("grades.csv"), help="CSV to write (default: grades.csv)")
    p.add_argument("--timeout", type=integer(1), default=1800,
                   help="seconds per cell (and per judged question) before its process is killed")
    p.add_argument("--reduced", action="store_true", help="run the notebooks with LECTURE_UTILS_REDUCED=1")
    p.set_defaults(func=grade)


def grade(args) -> None:
    grade_folder(args.submissions, args.bundle, args.out, args.timeout, args.reduced)
    print(f"wrote {args.out}")


FIELDS = ("student", "question", "points", "max_points", "feedback")
FORMULA = ("=", "+", "-", "@", "\t", "\r")


def escape(cell) -> str:
    """A CSV cell a spreadsheet shows as text: a leading =, +, -, @, tab or CR gets a quote."""
    text = str(cell)
    return "'" + text if text.startswith(FORMULA) else text


def check_out(out: Path, folder: Path, bundle_path: Path) -> Path:
    """``out``, refused when it is in the submissions folder or is the bundle, and checked writable."""
    target = out.resolve()
    if target == bundle_path.resolve():
        raise ValueError(f"--out {out} is the grading bundle: choose another file")
    if target.is_relative_to(folder.resolve()):
        raise ValueError(f"--out {out} is inside the submissions folder {folder}: write the grades elsewhere")
    return check_writable(out, "--out")


def gather(folder: Path, notebook: str) -> tuple[dict, list[str]]:
    """({student: notebook} of every readable ``folder/*.ipynb`` of this lecture, the files given no row with why)."""
    if not folder.is_dir():
        raise ValueError(f"no submissions folder at {folder}")
    found, skipped = {}, []
    for path in sorted(p for p in folder.rglob("*") if p.is_file()):
        name = path.relative_to(folder).as_posix()
        if path.parent != folder or path.suffix != ".ipynb":
            skipped.append(f"{name}: not a *.ipynb directly in {folder.name}/")
            continue
        try:
            nb = submission.read_notebook(path.read_bytes())
        except (OSError, ValueError) as e:
            skipped.append(f"{name}: {e}")
            continue
        other = submission.notebook_name(nb)
        if other not in (None, notebook):
            skipped.append(f"{name}: a submission of {other}, not of {notebook}")
            continue
        found[path.stem] = nb
    return found, skipped


def grade_one(nb, questions: list, prepared: list, timeout: int, reduced: bool) -> list[tuple]:
    """[(question, passed, feedback line)] of one submission."""
    wanted = {k: v for q, ns in zip(questions, prepared) for k, v in judge.collect(q, ns).items()}
    answers, note = submission.execute(nb, wanted, timeout, reduced)
    source = submission.code(nb)
    os.environ[LANG_ENV] = nb.metadata.get("lecture_utils", {}).get("lang", "en")
    results = []
    for q, ns in zip(questions, prepared):
        ok, line = judge.verdict(q, ns, source, answers, timeout)
        if ok is not True and note and "value" in q:
            line = f"{line} ({note})"
        results.append((q["question"], ok is True, line))
    return results


def rows_of(student: str, questions: list, results: list) -> list[dict]:
    """The CSV rows of one student."""
    points = {q["question"]: q["points"] for q in questions}
    return [{"student": student, "question": q, "points": points[q] if ok else 0, "max_points": points[q],
             "feedback": line} for q, ok, line in results]


def to_csv(rows: list[dict]) -> str:
    """The CSV text, every cell escaped against formula injection."""
    text = io.StringIO(newline="")
    writer = csv.DictWriter(text, FIELDS)
    writer.writeheader()
    writer.writerows({k: escape(v) for k, v in row.items()} for row in rows)
    return text.getvalue()


def grade_folder(folder, bundle_path, out, timeout: int = 1800, reduced: bool = False) -> list[dict]:
    """Grade every ``folder/*.ipynb`` and write the CSV ``out``; returns its rows."""
    folder, out, bundle_path = Path(folder), Path(out), Path(bundle_path)
    if timeout <= 0:
        raise ValueError(f"--timeout must be > 0 seconds, got {timeout}")
    bundle = judge.load_bundle(bundle_path)
    check_out(out, folder, bundle_path)
    found, skipped = gather(folder, bundle["notebook"])
    for line in skipped:
        print(f"no row: {line}")
    if not found:
        raise ValueError(f"no submitted notebooks of {bundle['notebook']} (*.ipynb) in {folder}")
    questions = bundle["questions"]
    prepared = [judge.prepare(q) for q in questions]
    rows = []
    with mock.patch.dict(os.environ):        # grade_one sets each submission's language; restored after
        for student, nb in found.items():
            rows += rows_of(student, questions, grade_one(nb, questions, prepared, timeout, reduced))
            got = sum(r["points"] for r in rows if r["student"] == student)
            print(f"{student}: {got} / {sum(q['points'] for q in questions)} points")
    write_text(out, to_csv(rows))            # written beside ``out`` and renamed: never half a file
    return rows
