"""Grade a folder of submitted notebooks into a CSV (student, question, points, feedback, settings), offline.

Each submission runs top to bottom, as its student ran it, in a fresh Jupyter kernel in a sandbox of
its own (``sandbox.py``: bubblewrap, memory, CPU and time limits; without bubblewrap one line says
what is then not isolated), and hands its answers back from there (``answer_runner.py``): the value
answers, and each function answer, as the notebook defines it after its run, called on the grader's
inputs. This process never runs submitted code and reads nothing of a run but those answers
(``torch.load(weights_only=True)``, size-capped): it judges them against references it computes
itself. The steps and what each isolates: docs/teaching.md, "Grading".

A bundle (``notebooks/grading/NAME.json``, built by ``notebooks/build.py`` from the ``# HIDDEN
CHECKS`` cells) is lecturer code, checked field by field when it is loaded (:func:`check_bundle`) and
run here in a fresh namespace before any notebook runs (:func:`prepare`). ``function=NAME``:
``cases()`` gives the inputs (tensors, numbers, network specs) and ``judge(records, cases)`` compares
what ``answer_runner`` recorded with references computed here. ``value=NAME``: the kernel collects
``NAME`` and the expressions of ``COLLECT``; ``reference()`` rebuilds the data the check needs and
``judge(answer, collected, reference)`` checks the type and shape of what it got before it computes
anything. A ``judge`` returns the "Correct" line or raises ``checks.Wrong`` / ``checks.NotAnswered``,
as a public check does; instructor notebooks run the same cells in-process
(``lecture_utils.hidden.local_verdict``).

    python -m lecture_tools homework grade SUBMISSIONS --bundle notebooks/grading/02_anogan.json --out grades.csv
"""
from __future__ import annotations

import csv
import io
import json
import os
import re
import shutil
import signal
import stat
import sys
import tempfile
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from unittest import mock

import torch

from lecture_utils.checks import LANG_ENV, outcome
from lecture_utils.config import REDUCED_ENV, data_dir, is_reduced
from lecture_utils.hidden import expressions
from lecture_utils.messages import say
from lecture_utils.outputs import check_writable, write_text

from . import sandbox
from .arguments import integer, number


def register(groups) -> None:
    parser = groups.add_parser("homework", help="grade submitted homework notebooks", description=__doc__.splitlines()[0])
    p = parser.add_subparsers(dest="command", required=True).add_parser(
        "grade", help="run each SUBMISSIONS/*.ipynb in its own sandbox, judge its answers here, write a CSV")
    p.add_argument("submissions", type=Path, help="folder of submitted notebooks (student = file name)")
    p.add_argument("--bundle", type=Path, required=True, help="the lecture's notebooks/grading/NAME.json")
    p.add_argument("--out", type=Path, default=Path("grades.csv"), help="CSV to write (default: grades.csv)")
    p.add_argument("--timeout", type=integer(1), default=1800,
                   help="seconds per cell (and per function answer) before it is interrupted (default: 1800)")
    p.add_argument("--memory", type=number(0.5, open_low=False), default=8.0,
                   help="GB of memory each process of a submission may allocate (default: 8)")
    p.add_argument("--reduced", action="store_true",
                   help="run the notebooks and build the references with LECTURE_UTILS_REDUCED=1")
    p.set_defaults(func=grade)


def grade(args) -> None:
    grade_folder(args.submissions, args.bundle, args.out, args.timeout, args.reduced, args.memory)
    print(f"wrote {args.out}")


FIELDS = ("student", "question", "points", "max_points", "feedback", "settings")
FORMULA = ("=", "+", "-", "@", "\t", "\r")
MAX_NOTEBOOK_BYTES = 64 << 20    # a submitted .ipynb (outputs included)
MAX_ANSWER_BYTES = 64 << 20      # answers.pt: value answers and what COLLECT asks for
MAX_RECORD_BYTES = 16 << 20      # records of one function answer
MAX_LISTED = 1000                # entries of the submissions folder looked at
STARTUP = 120                    # seconds for a kernel to start (its imports: torch)
INTERRUPT_GRACE = 10             # seconds a cell past --timeout has to stop once interrupted
NAME = re.compile(r"^[A-Za-z_]\w*$")          # a question, a function or a variable
NOTEBOOK = re.compile(r"^\w[\w.-]*$")            # a lecture: 00_datasets


def escape(cell) -> str:
    """A CSV cell a spreadsheet shows as text: a leading =, +, -, @, tab or CR gets a quote."""
    text = str(cell)
    return "'" + text if text.startswith(FORMULA) else text


# The bundle -------------------------------------------------------------------------------------

def _bad(path, field_name: str, what: str, got=None) -> ValueError:
    shown = "" if got is None else f", got {type(got).__name__} {str(got)[:40]!r}" if not isinstance(got, str) \
        else f", got {got[:40]!r}"
    return ValueError(f"{path} is not a grading bundle: {field_name} {what}{shown}")


def _check_question(q, where: str, path) -> None:
    """One question of a bundle: question, points, code and exactly one of function / value."""
    if not isinstance(q, dict):
        raise _bad(path, where, "must be an object", q)
    kinds = [k for k in ("function", "value") if k in q]
    unknown = sorted(set(q) - {"question", "points", "code", "function", "value"})
    if unknown:
        raise _bad(path, f"{where}.{unknown[0]}", "is not a field of a question")
    if len(kinds) != 1:
        raise _bad(path, where, "must have exactly one of 'function' and 'value'")
    for key in ("question", kinds[0]):
        if not isinstance(q.get(key), str) or not NAME.match(q[key]):
            raise _bad(path, f"{where}.{key}", "must be a name (letters, digits, _)", q.get(key, "(missing)"))
    points = q.get("points")
    if not isinstance(points, int) or isinstance(points, bool) or points < 1:
        raise _bad(path, f"{where}.points", "must be a whole number >= 1", q.get("points", "(missing)"))
    if not isinstance(q.get("code"), str):
        raise _bad(path, f"{where}.code", "must be the hidden checks' code (a string)", q.get("code", "(missing)"))
    try:
        compile(q["code"], f"{where}.code", "exec")
    except (SyntaxError, ValueError) as e:
        raise _bad(path, f"{where}.code", f"is not valid Python (line {getattr(e, 'lineno', '?')}: "
                                          f"{getattr(e, 'msg', e)})") from None


def check_bundle(bundle, path) -> dict:
    """``bundle`` if it has the bundle's fields {"notebook", "questions": [{"question", "points",
    "function"|"value", "code"}]}; else ValueError naming the first bad field."""
    if not isinstance(bundle, dict):
        raise _bad(path, "the file", "must be a JSON object", bundle)
    if not isinstance(bundle.get("notebook"), str) or not NOTEBOOK.match(bundle["notebook"]):
        raise _bad(path, "'notebook'", "must be the lecture's name", bundle.get("notebook", "(missing)"))
    questions = bundle.get("questions")
    if not isinstance(questions, list) or not questions:
        raise _bad(path, "'questions'", "must be a non-empty list of questions", questions if questions is not None
                   else "(missing)")
    for i, q in enumerate(questions):
        _check_question(q, f"questions[{i}]", path)
    names = [q["question"] for q in questions]
    if len(set(names)) != len(names):
        raise _bad(path, "'questions'", "name a question twice", ", ".join(names))
    return bundle


def load_bundle(path) -> dict:
    """The grading bundle at ``path``, checked field by field (:func:`check_bundle`)."""
    path = Path(path)
    if not path.is_file():
        raise ValueError(f"no grading bundle at {path} (run `python notebooks/build.py` in the checkout)")
    try:
        bundle = json.loads(path.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError):
        raise ValueError(f"{path} is not a grading bundle (not JSON)") from None
    return check_bundle(bundle, path)


class QuestionError(ValueError):
    """A question of the bundle whose code cannot be used; the message names the question."""


def prepare(question: dict, path="bundle") -> dict:
    """The question's namespace, its cases or reference data computed once, before any submission
    runs; QuestionError (a ValueError) naming the question when its code fails or lacks ``judge`` /
    ``cases``."""
    where = f"{path}: question {question['question']}"
    namespace = {"__name__": f"hidden_checks_{question['question']}"}
    step = "its code"
    try:
        exec(compile(question["code"], f"hidden checks {question['question']}", "exec"), namespace)
        wanted = ("judge", "cases") if "function" in question else ("judge",)
        missing = [name for name in wanted if not callable(namespace.get(name))]
        if missing:
            raise QuestionError(f"{where}: its code defines no function {missing[0]}()")
        if "function" in question:
            step = "cases()"
            namespace["_cases"] = _checked_cases(namespace["cases"](), where)
        else:
            step = "reference()"
            namespace["_reference"] = namespace["reference"]() if "reference" in namespace else None
    except QuestionError:
        raise
    except Exception as e:
        raise QuestionError(f"{where}: {step} raised {type(e).__name__}: {e}"[:400]) from None
    return namespace


def _checked_cases(cases, where: str) -> list:
    """``cases`` if they are a list of {"args": [...]} that the kernel can load as plain data."""
    if not isinstance(cases, list) or not all(isinstance(c, dict) and isinstance(c.get("args"), list) for c in cases):
        raise QuestionError(f"{where}: cases() must return a list of {{'args': [...]}}")
    buffer = io.BytesIO()
    torch.save(cases, buffer)
    buffer.seek(0)
    torch.load(buffer, weights_only=True)
    return cases


# The submissions --------------------------------------------------------------------------------

@dataclass
class Submission:
    """What is kept of a submitted notebook: its code cells and the language of its messages."""
    cells: list[str]
    lang: str = "en"


def read_notebook(data: bytes, notebook: str) -> Submission:
    """The code cells and language of a submission's bytes; ValueError with why when it is not a
    notebook, or a notebook of another lecture (``notebooks/build.py`` writes its name)."""
    import nbformat
    try:
        nb = nbformat.reads(data.decode("utf-8"), as_version=4)
        cells = [c.source for c in nb.cells if c.cell_type == "code" and isinstance(c.source, str)]
        meta = nb.metadata.get("lecture_utils", {})
        other, lang = (meta.get("notebook"), meta.get("lang")) if isinstance(meta, dict) else (None, None)
    except Exception as e:
        raise ValueError(f"not a readable notebook ({type(e).__name__})") from None
    if other not in (None, notebook):
        raise ValueError(f"a submission of {str(other)[:60]}, not of {notebook}")
    return Submission(cells, lang if lang in ("en", "ja") else "en")


def read_regular(path, limit: int) -> bytes:
    """The bytes of ``path`` if it is a regular file of at most ``limit`` bytes, opened without
    following a symbolic link and without blocking on a FIFO; ValueError with why otherwise."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
    except OSError as e:
        raise ValueError(f"cannot be read ({e.strerror})") from None
    with os.fdopen(fd, "rb") as f:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            raise ValueError("not a regular file")
        if info.st_size > limit:
            raise ValueError(f"larger than {limit >> 20} MiB (clear its outputs)")
        return f.read(limit + 1)[:limit]


def _kind(entry: os.DirEntry) -> str | None:
    """Why an entry of the submissions folder is not a notebook to grade, or None if it may be one."""
    if entry.is_symlink():
        return f"a symbolic link (to {os.readlink(entry.path)[:80]}), not a submission: copy the notebook itself"
    if entry.is_dir(follow_symlinks=False):
        return "a folder, not a notebook" if entry.name.endswith(".ipynb") else None
    if not entry.is_file(follow_symlinks=False):
        return "not a regular file (a FIFO, a socket or a device)"
    return None


def _entries(folder: Path, top: Path):
    """(name relative to ``top``, entry) of everything under ``folder``, symbolic links not followed."""
    try:
        with os.scandir(folder) as found:
            entries = sorted(found, key=lambda e: e.name)
    except OSError as e:
        yield folder.relative_to(top).as_posix(), f"cannot be read ({e.strerror})"
        return
    for entry in entries:
        yield Path(entry.path).relative_to(top).as_posix(), entry
        if entry.is_dir(follow_symlinks=False) and not entry.is_symlink():
            yield from _entries(Path(entry.path), top)


def gather(folder: Path, notebook: str) -> tuple[dict[str, Submission], list[str]]:
    """({student: submission} of every readable ``folder/*.ipynb`` of this lecture, each entry that
    gets no row with why: files in sub-folders or with another suffix, symbolic links, folders named
    ``*.ipynb``, FIFOs, unreadable or oversized files)."""
    if not folder.is_dir():
        raise ValueError(f"no submissions folder at {folder}")
    found, skipped = {}, []
    for count, (name, entry) in enumerate(_entries(folder, folder)):
        if count >= MAX_LISTED:
            skipped.append(f"{folder.name}/: more than {MAX_LISTED} entries; the rest were not looked at")
            break
        why = entry if isinstance(entry, str) else _kind(entry)
        if why is None and not entry.is_dir(follow_symlinks=False):
            if "/" in name or not name.endswith(".ipynb"):
                why = f"not a *.ipynb directly in {folder.name}/"
            else:
                try:
                    found[name[:-len(".ipynb")]] = read_notebook(read_regular(entry.path, MAX_NOTEBOOK_BYTES), notebook)
                except ValueError as e:
                    why = str(e)
        if why:
            skipped.append(f"{name}: {why}")
    return found, skipped


# One run: the notebook's cells, then the cells that hand the answers back ------------------------

@dataclass
class Options:
    """How every submission runs: the per-cell timeout, the limits, whether in a sandbox, the data
    folder and what the sandbox must not show."""
    timeout: int
    limits: sandbox.Limits
    sandboxed: bool
    data: Path
    hidden: list[Path]


@dataclass
class Run:
    """What a run handed back: the value answers (None: never collected), each function question's
    records (missing: none came back), why a cell of it was stopped, and why the run ended early."""
    answers: dict | None = None
    records: dict = field(default_factory=dict)
    slow: dict = field(default_factory=dict)
    stopped: str = ""
    interrupted: list = field(default_factory=list)

    def remarks(self) -> str:
        """What went wrong in the run, for the line of an answer that did not pass ("" if nothing)."""
        cells = ", ".join(map(str, self.interrupted))
        said = [say({"en": "interrupted at --timeout: cell {cells}", "ja": "--timeout で中断: セル {cells}"}, cells=cells)
                ] if cells else []
        return "; ".join(said + ([self.stopped] if self.stopped else []))


RUNNER = "__import__('lecture_tools.answer_runner', fromlist=['collect']).{call}"


def answer_cells(space: sandbox.Workspace, plan: list) -> list[tuple[str | None, str]]:
    """(question or None for the value answers, cell) run after the notebook: the value answers
    saved, then each function answer called on its cases (written to ``space.inputs`` here)."""
    wanted = {k: v for q, ns in plan for k, v in expressions(q, ns).items()}
    cells = [(None, RUNNER.format(call=f"collect(globals(), {wanted!r}, {str(space.out / 'answers.pt')!r})"))]
    for q, ns in plan:
        if "function" in q:
            cases = space.inputs / f"cases-{q['question']}.pt"
            torch.save(ns["_cases"], cases)
            out = space.out / f"records-{q['question']}.pt"
            cells.append((q["question"], RUNNER.format(call=f"run_question(globals(), {q['function']!r}, "
                                                           f"{str(cases)!r}, {str(out)!r})")))
    return cells


def _stopped(where: str, why: str, timeout: int) -> str:
    """Why a run ended before its last cell, in the notebook's language."""
    if why == "dead":
        return say({"en": "the kernel ended at {where} (the code exited, crashed or ran out of memory): later cells did "
                          "not run",
                    "ja": "{where} でカーネルが終了しました（コードの終了、クラッシュ、メモリ不足）: それ以降のセルは実行されて"
                          "いません"}, where=where)
    return say({"en": "{where} ran past --timeout ({timeout} s) and did not stop when interrupted: the run was ended there",
                "ja": "{where} が --timeout（{timeout} 秒）を超え、中断しても止まらなかったため、実行をそこで終えました"},
               where=where, timeout=timeout)


def run_cells(kernel: sandbox.Kernel, cells: list[tuple[str | None, str]], timeout: int, run: Run, notebook_cells: int) -> None:
    """Each cell with ``timeout`` seconds: past it, interrupted (KeyboardInterrupt, as the stop
    button) and the run goes on; a cell that does not stop within INTERRUPT_GRACE ends the run."""
    for index, (question, code) in enumerate(cells):
        where = say({"en": "cell {n}", "ja": "セル {n}"}, n=index + 1) if index < notebook_cells else \
            say({"en": "handing the answers back", "ja": "解答の回収"})
        msg_id = kernel.execute(code)
        status = kernel.wait(msg_id, timeout)
        if status == "timeout":
            kernel.interrupt()
            status = kernel.wait(msg_id, INTERRUPT_GRACE)
            if index < notebook_cells:
                run.interrupted.append(index + 1)
            else:
                run.slow[question or "answers"] = timeout
        if status in ("timeout", "dead"):
            run.stopped = _stopped(where, status, timeout)
            return


def read_saved(path: Path, kind: type, limit: int):
    """The ``kind`` (dict, list) a run saved at ``path``, read as plain data (``torch.load(weights_only=True)``
    runs no code); None when it is absent, not a regular file, over ``limit`` bytes or not a ``kind``."""
    try:
        saved = torch.load(io.BytesIO(read_regular(path, limit)), weights_only=True)
    except Exception:
        return None
    return saved if isinstance(saved, kind) else None


def run_submission(sub: Submission, plan: list, options: Options) -> Run:
    """Run the notebook and its answer cells in a fresh kernel (in its sandbox) in a temporary
    folder, which is deleted after; what it handed back."""
    root = Path(tempfile.mkdtemp(prefix="grading-"))     # short: the kernel's socket paths live in it
    try:
        space = sandbox.Workspace(root)
        cells = [(None, c) for c in sub.cells] + answer_cells(space, plan)
        stub = sandbox.colab_stub(space.inputs / "stub")
        argv, env = sandbox.kernel_command(space, options.limits, options.data, options.hidden, options.sandboxed, stub)
        kernel, run = sandbox.Kernel(argv, env, space), Run()
        try:
            status = kernel.ready(STARTUP)
            if status == "ok":
                run_cells(kernel, cells, options.timeout, run, len(sub.cells))
            else:
                run.stopped = say({"en": "the notebook's kernel did not start ({status}: {tail})",
                                   "ja": "ノートブックのカーネルが起動しませんでした（{status}: {tail}）"},
                                  status=status, tail=kernel.tail())
        finally:
            kernel.close()
        run.answers = read_saved(space.out / "answers.pt", dict, MAX_ANSWER_BYTES)
        run.records = {q["question"]: read_saved(space.out / f"records-{q['question']}.pt", list, MAX_RECORD_BYTES)
                       for q, _ in plan if "function" in q}
        return run
    finally:
        _remove(root)


def _remove(root: Path) -> None:
    """Delete a run's folder, even where its code took away permissions inside it."""
    def allow(function, path, _):
        try:
            os.chmod(os.path.dirname(path), 0o700)
            if os.path.isdir(path) and not os.path.islink(path):
                os.chmod(path, 0o700)
            function(path)
        except OSError:
            pass
    shutil.rmtree(root, **({"onexc": allow} if sys.version_info >= (3, 12) else {"onerror": allow}))


# Judging ----------------------------------------------------------------------------------------

def _no_records(question: dict, run: Run) -> str:
    """Why a function question got no records, in the notebook's language."""
    name, q = question["function"], question["question"]
    if q in run.slow:
        return say({"en": "{name} ran past --timeout ({seconds} s) on the grader's inputs",
                    "ja": "{name} が採点用の入力で --timeout（{seconds} 秒）を超えました"}, name=name, seconds=run.slow[q])
    return run.stopped or say({"en": "{name} could not be run on the grader's inputs",
                               "ja": "{name} を採点用の入力で実行できませんでした"}, name=name)


def verdict(question: dict, namespace: dict, run: Run) -> tuple[bool | None, str]:
    """(passed, the line for the student) of one question of one submission."""
    if "function" in question:
        records, cases = run.records.get(question["question"]), namespace["_cases"]
        if not (isinstance(records, list) and len(records) == len(cases) and all(isinstance(r, dict) for r in records)):
            return False, say("check_wrong", hint=_no_records(question, run))
        ok, line = outcome(namespace["judge"], records, cases)
        return ok, (f"{line} ({run.remarks()})" if ok is False and run.remarks() else line)
    if run.answers is None:
        slow = say({"en": "collecting them ran past --timeout ({seconds} s)", "ja": "回収が --timeout（{seconds} 秒）を超えました"},
                   seconds=run.slow["answers"]) if "answers" in run.slow else ""
        why = run.stopped or slow or say({"en": "the run ended early", "ja": "実行が途中で終わりました"})
        return False, say("check_wrong", hint=say({"en": "the answers were not handed back: {why}",
                                                   "ja": "解答が回収されませんでした: {why}"}, why=why))
    collected = {k: run.answers.get(k) for k in expressions(question, namespace)}
    ok, line = outcome(namespace["judge"], collected[question["value"]], collected, namespace["_reference"])
    return ok, (f"{line} ({run.remarks()})" if ok is not True and run.remarks() else line)


# The class --------------------------------------------------------------------------------------

def check_out(out: Path, folder: Path, bundle_path: Path) -> Path:
    """``out``, refused when it is in the submissions folder or is the bundle, and checked writable."""
    target = out.resolve()
    if target == bundle_path.resolve():
        raise ValueError(f"--out {out} is the grading bundle: choose another file")
    if target.is_relative_to(folder.resolve()):
        raise ValueError(f"--out {out} is inside the submissions folder {folder}: write the grades elsewhere")
    return check_writable(out, "--out")


def grade_one(student: str, sub: Submission, plan: list, options: Options, settings: str) -> list[dict]:
    """The CSV rows of one submission: full points for a question that passes, else 0; the feedback
    line in the notebook's language. A failure of the grader itself on this submission is its
    feedback: the other students' grades stand."""
    os.environ[LANG_ENV] = sub.lang
    try:
        run = run_submission(sub, plan, options)
        results = [verdict(q, ns, run) for q, ns in plan]
    except Exception as e:
        results = [(False, f"the grader could not run this notebook ({type(e).__name__}: {str(e)[:200]})")] * len(plan)
    return [{"student": student, "question": q["question"], "points": q["points"] if ok is True else 0,
             "max_points": q["points"], "feedback": line, "settings": settings} for (q, _), (ok, line) in zip(plan, results)]


def to_csv(rows: list[dict]) -> str:
    """The CSV text, every cell escaped against formula injection."""
    text = io.StringIO(newline="")
    writer = csv.DictWriter(text, FIELDS)
    writer.writeheader()
    writer.writerows({k: escape(v) for k, v in row.items()} for row in rows)
    return text.getvalue()


@contextmanager
def stopping():
    """SIGTERM stops grading as Ctrl-C (SIGINT) does: KeyboardInterrupt, the running kernel killed, no CSV."""
    def stop(signum, frame):
        raise KeyboardInterrupt
    previous = signal.signal(signal.SIGTERM, stop)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def _options(folder: Path, bundle_path: Path, out: Path, timeout: int, memory_gb: float, cells: int) -> Options:
    """The runs' options; prints one line when there is no sandbox (what is then not isolated)."""
    why = sandbox.missing()
    if why:
        print(why)
    limits = sandbox.Limits(memory=int(memory_gb * 2**30), cpu=timeout * (cells + 2) + STARTUP, file=1 << 30)
    return Options(timeout, limits, why is None, data_dir().resolve(), [folder, bundle_path, out])


def grade_folder(folder, bundle_path, out, timeout: int = 1800, reduced: bool = False, memory_gb: float = 8.0) -> list[dict]:
    """Grade every ``folder/*.ipynb`` and write the CSV ``out``; returns its rows."""
    folder, out, bundle_path = Path(folder), Path(out), Path(bundle_path)
    with mock.patch.dict(os.environ, {REDUCED_ENV: "1"} if reduced else {}):   # references as the runs: same settings
        bundle = load_bundle(bundle_path)
        check_out(out, folder, bundle_path)
        found, skipped = gather(folder, bundle["notebook"])
        for line in skipped:
            print(f"no row: {line}")
        if not found:
            raise ValueError(f"no submitted notebooks of {bundle['notebook']} (*.ipynb) in {folder}")
        plan = [(q, prepare(q, bundle_path)) for q in bundle["questions"]]
        options = _options(folder, bundle_path, out, timeout, memory_gb,
                           max(len(s.cells) for s in found.values()) + len(plan))
        settings = "reduced" if is_reduced() else "full"
        rows = []
        with stopping():
            for i, (student, sub) in enumerate(found.items(), 1):
                try:
                    mine = grade_one(student, sub, plan, options, settings)
                except KeyboardInterrupt:
                    raise KeyboardInterrupt(f"stopped while grading {student} ({i} of {len(found)}); "
                                            "no CSV was written") from None
                rows += mine
                print(f"{student}: {sum(r['points'] for r in mine)} / {sum(q['points'] for q, _ in plan)} points")
    write_text(out, to_csv(rows))            # written beside ``out`` and renamed: never half a file
    return rows
