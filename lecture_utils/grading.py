"""Grade a folder of submitted notebooks into a CSV (student, question, points, feedback), offline, without Docker.

The student's kernel produces answers; this process judges them (each step and what it isolates:
docs/teaching.md, "Homework and grading"). The bundle, every submission and each question's cases and
references (``prepare``) are read or built before any submitted code runs; ``--out`` is refused inside
the submissions folder or on the bundle. Each notebook runs in its own temporary folder and kernel
(``execute``), each function answer in a fresh ``python -I`` process on this process's inputs
(``function_records``). Submitted code never runs here and nothing is parsed from what it printed.
The CSV is written once, at the end, its formula-like cells escaped; Ctrl-C writes nothing.

A question of the bundle (``notebooks/grading/NAME.json``, built by ``notebooks/build.py`` from the
``# HIDDEN CHECKS`` cells) is lecturer code, run here in a fresh namespace. ``function=NAME``: ``cases()``
gives the inputs (tensors, numbers, network specs) and ``judge(records, cases)`` compares what
``answer_runner`` recorded with references computed here. ``value=NAME``: the kernel collected ``NAME``
and the expressions of ``COLLECT``; ``reference()`` rebuilds the data the check needs and
``judge(answer, collected, reference)`` decides. A ``judge`` returns the "Correct" line or raises
``checks.Wrong`` / ``checks.NotAnswered``, as a public check does; instructor notebooks run the same
cells in-process (``local_verdict``).

    python -m lecture_utils homework grade SUBMISSIONS --bundle notebooks/grading/02_anogan.json --out grades.csv
"""
from __future__ import annotations

import csv
import io
import json
import os
import signal
import subprocess
import sys
import tempfile
from pathlib import Path
from unittest import mock

import torch

from . import answer_runner
from .arguments import integer
from .checks import LANG_ENV, outcome
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
RUNNER = ("import sys; sys.path.insert(0, sys.argv[1]); from lecture_utils.answer_runner import main; "
          "main(*sys.argv[2:])")
PACKAGE_ROOT = str(Path(__file__).resolve().parent.parent)    # the kernel and the runner import this lecture_utils
ANSWERS = "answers.pt"
MAX_SAVED_BYTES = 200 * 2**20    # answers.pt, records.pt


def escape(cell) -> str:
    """A CSV cell a spreadsheet shows as text: a leading =, +, -, @, tab or CR gets a quote."""
    text = str(cell)
    return "'" + text if text.startswith(FORMULA) else text


def load_bundle(path) -> dict:
    """The grading bundle {"notebook", "questions": [{"question", "points", "function"|"value", "code"}]}."""
    path = Path(path)
    if not path.is_file():
        raise ValueError(f"no grading bundle at {path} (run `python notebooks/build.py` in the checkout)")
    try:
        bundle = json.loads(path.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError):
        raise ValueError(f"{path} is not a grading bundle (not JSON)") from None
    if not isinstance(bundle, dict) or not bundle.get("questions") or not bundle.get("notebook"):
        raise ValueError(f"{path} is not a grading bundle (no notebook or no questions)")
    return bundle


def prepare(question: dict) -> dict:
    """The question's namespace, its cases or reference data computed once, before any submission runs."""
    namespace = {"__name__": f"hidden_checks_{question['question']}"}
    exec(compile(question["code"], f"hidden checks {question['question']}", "exec"), namespace)
    if "function" in question:
        namespace["_cases"] = namespace["cases"]()
    else:
        namespace["_reference"] = namespace["reference"]() if "reference" in namespace else None
    return namespace


def collect(question: dict, namespace: dict) -> dict:
    """{name: expression} the kernel must save for a value question (its answer and COLLECT)."""
    return {question["value"]: question["value"], **namespace.get("COLLECT", {})} if "value" in question else {}


def read_notebook(data: bytes):
    """The nbformat notebook of a submission's bytes; ValueError with why when it is not one."""
    import nbformat
    try:
        return nbformat.reads(data.decode("utf-8"), as_version=4)
    except Exception as e:
        raise ValueError(f"not a readable notebook ({type(e).__name__})") from None


def code(nb) -> str:
    """The notebook's code cells that are valid Python, joined into one source (``answer_runner`` runs its defs)."""
    import ast
    cells = []
    for cell in nb.cells:
        if cell.cell_type == "code":
            try:
                ast.parse(cell.source)
                cells.append(cell.source)
            except (SyntaxError, ValueError):
                continue
    return "\n\n".join(cells)


def collection_cell(collect: dict) -> str:
    """The last cell: evaluate each expression of ``collect`` ({name: expression}) and save the values."""
    return ("import torch as _lu_torch\n_lu_answers = {}\n"
            f"for _lu_name, _lu_expr in {collect!r}.items():\n"
            "    try:\n        _lu_answers[_lu_name] = eval(_lu_expr)\n    except Exception:\n        pass\n"
            f"_lu_torch.save(_lu_answers, {ANSWERS!r})")


def load_saved(path: Path, kind: type):
    """The ``kind`` (dict, list) a submitted run saved at ``path``, read as plain data: ``torch.load(weights_only=True)``
    runs no code. None when it is not a regular file (a FIFO would block), over MAX_SAVED_BYTES, not plain data
    or not a ``kind``."""
    try:
        ok = path.is_file() and path.stat().st_size <= MAX_SAVED_BYTES
        saved = torch.load(path, weights_only=True) if ok else None
    except Exception:
        return None
    return saved if isinstance(saved, kind) else None


def execute(nb, collect: dict, timeout: int, reduced: bool = False) -> tuple[dict, str]:
    """(collected values, note on the run) of ``nb`` run top to bottom, errors and all, in a fresh kernel whose
    folder, ``HOME`` and ``TMPDIR`` are an empty temporary one; killed past ``timeout`` (a loop may ignore interrupts)."""
    import nbformat
    from nbclient import NotebookClient
    from nbclient.exceptions import CellTimeoutError

    nb = nbformat.from_dict(json.loads(json.dumps(nb)))           # a copy: the grader's stays as read
    nb.cells.append(nbformat.v4.new_code_cell(collection_cell(collect)))
    with tempfile.TemporaryDirectory(prefix="submission-") as work:
        env = {"HOME": work, "TMPDIR": work, "PYTHONPATH": os.pathsep.join(filter(None, (PACKAGE_ROOT, os.environ.get("PYTHONPATH")))),
               **({"LECTURE_UTILS_REDUCED": "1"} if reduced else {})}
        client = NotebookClient(nb, timeout=timeout, kernel_name="python3", allow_errors=True,
                                interrupt_on_timeout=False, shutdown_kernel="immediate",
                                resources={"metadata": {"path": work}})
        note = ""
        with mock.patch.dict(os.environ, env):      # the kernel inherits them; restored after
            try:
                client.execute()
            except CellTimeoutError:
                note = f"a cell ran past --timeout ({timeout} s): the run was stopped"
            except Exception as e:  # the kernel died or could not start
                note = f"the run stopped ({type(e).__name__})"
        return load_saved(Path(work) / ANSWERS, dict) or {}, note


def function_records(source: str, name: str, cases: list, timeout: int) -> list[dict] | str:
    """The records of ``name`` from the notebook source on ``cases`` (answer_runner in its own
    process, session and empty folder), or a line saying why there are none."""
    with tempfile.TemporaryDirectory(prefix="judge-") as tmp:
        tmp = Path(tmp)
        (tmp / "work").mkdir()
        (tmp / "source.py").write_text(source, encoding="utf-8")
        torch.save(cases, tmp / "cases.pt")
        env = {"PATH": os.environ.get("PATH", ""), "HOME": str(tmp / "work"), "TMPDIR": str(tmp / "work"),
               "OMP_NUM_THREADS": os.environ.get("OMP_NUM_THREADS", "1")}
        command = [sys.executable, "-I", "-c", RUNNER, PACKAGE_ROOT, str(tmp / "source.py"), name,
                   str(tmp / "cases.pt"), str(tmp / "records.pt")]
        process = subprocess.Popen(command, cwd=tmp / "work", env=env, stdin=subprocess.DEVNULL,
                                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
        try:
            process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            return f"{name} ran past --timeout ({timeout} s)"
        finally:   # the runner and everything it started
            try:
                os.killpg(process.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            process.wait()
        path = tmp / "records.pt"
        if path.is_file() and path.stat().st_size > MAX_SAVED_BYTES:
            return f"{name} returned too much data"
        records = load_saved(path, list)
        ok = records is not None and len(records) == len(cases) and all(isinstance(r, dict) for r in records)
        return records if ok else f"{name} could not be run"


def verdict(question: dict, namespace: dict, source: str, answers: dict, timeout: int) -> tuple[bool | None, str]:
    """(passed, the line for the student) of one question of one submission."""
    if "function" in question:
        records = function_records(source, question["function"], namespace["_cases"], timeout)
        if isinstance(records, str):
            return False, records
        return outcome(namespace["judge"], records, namespace["_cases"])
    collected = {k: answers.get(k) for k in collect(question, namespace)}
    return outcome(namespace["judge"], collected[question["value"]], collected, namespace["_reference"])


def local_verdict(namespace: dict, kind: str, name: str) -> bool:
    """The hidden check of the cell just run, in this process (instructor notebooks): True if it passes."""
    if kind == "function":
        cases = namespace["cases"]()
        records = [answer_runner.record(namespace[name], case) for case in cases]
        return outcome(namespace["judge"], records, cases)[0] is True
    collected = {k: eval(expr, namespace) for k, expr in collect({"value": name}, namespace).items()}
    reference = namespace["reference"]() if "reference" in namespace else None
    return outcome(namespace["judge"], collected[name], collected, reference)[0] is True


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
            nb = read_notebook(path.read_bytes())
        except (OSError, ValueError) as e:
            skipped.append(f"{name}: {e}")
            continue
        other = nb.metadata.get("lecture_utils", {}).get("notebook")      # notebooks/build.py writes it
        if other not in (None, notebook):
            skipped.append(f"{name}: a submission of {other}, not of {notebook}")
            continue
        found[path.stem] = nb
    return found, skipped


def grade_one(student: str, nb, questions: list, prepared: list, timeout: int, reduced: bool) -> list[dict]:
    """The CSV rows of one submission: full points for a question that passes, else 0; the feedback line."""
    wanted = {k: v for q, ns in zip(questions, prepared) for k, v in collect(q, ns).items()}
    answers, note = execute(nb, wanted, timeout, reduced)
    source = code(nb)
    os.environ[LANG_ENV] = nb.metadata.get("lecture_utils", {}).get("lang", "en")
    rows = []
    for q, ns in zip(questions, prepared):
        ok, line = verdict(q, ns, source, answers, timeout)
        if ok is not True and note and "value" in q:
            line = f"{line} ({note})"
        rows.append({"student": student, "question": q["question"], "points": q["points"] if ok is True else 0,
                     "max_points": q["points"], "feedback": line})
    return rows


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
    bundle = load_bundle(bundle_path)
    check_out(out, folder, bundle_path)
    found, skipped = gather(folder, bundle["notebook"])
    for line in skipped:
        print(f"no row: {line}")
    if not found:
        raise ValueError(f"no submitted notebooks of {bundle['notebook']} (*.ipynb) in {folder}")
    questions = bundle["questions"]
    prepared = [prepare(q) for q in questions]
    rows = []
    with mock.patch.dict(os.environ):        # grade_one sets each submission's language; restored after
        for student, nb in found.items():
            mine = grade_one(student, nb, questions, prepared, timeout, reduced)
            rows += mine
            print(f"{student}: {sum(r['points'] for r in mine)} / {sum(q['points'] for q in questions)} points")
    write_text(out, to_csv(rows))            # written beside ``out`` and renamed: never half a file
    return rows
