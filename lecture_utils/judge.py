"""Judge one question of one submission, in a process the submitted code never runs in.

A question of the grading bundle (``notebooks/grading/NAME.json``, built by ``notebooks/build.py``
from the ``# HIDDEN CHECKS`` cells) is lecturer code, run here in a fresh namespace:

* ``function=NAME``: ``cases()`` gives the inputs (tensors, numbers, network specs); the grader
  runs the submission's ``NAME`` on them in a fresh ``python -I`` process (``answer_runner``) and
  ``judge(records, cases)`` compares the records with references computed here.
* ``value=NAME``: the kernel collected ``NAME`` and the expressions of ``COLLECT``;
  ``reference()`` (run once, before any submission) rebuilds the data the check needs, and
  ``judge(answer, collected, reference)`` decides.

A ``judge`` returns the "Correct" line or raises ``checks.Wrong`` / ``checks.NotAnswered``, as a
public check does. Instructor notebooks run the same cells in-process (``local_verdict``).
"""
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import tempfile
from pathlib import Path

import torch

from . import answer_runner
from .checks import outcome
from .submission import PACKAGE_ROOT

RUNNER = ("import sys; sys.path.insert(0, sys.argv[1]); from lecture_utils.answer_runner import main; "
          "main(*sys.argv[2:])")
MAX_RECORDS_BYTES = 200 * 2**20


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


def _kill(process) -> None:
    """End the runner and everything it started (its own session)."""
    try:
        os.killpg(process.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    process.wait()


def function_records(source: str, name: str, cases: list, timeout: int) -> list[dict] | str:
    """The records of ``name`` from the notebook source on ``cases`` (answer_runner in its own
    process and empty folder), or a line saying why there are none."""
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
        finally:
            _kill(process)
        return _read_records(tmp / "records.pt", len(cases), name)


def _read_records(path: Path, n: int, name: str) -> list[dict] | str:
    """The runner's records, read without running code, one per case; else why not."""
    try:
        if path.stat().st_size > MAX_RECORDS_BYTES:
            return f"{name} returned too much data"
        records = torch.load(path, weights_only=True)
    except Exception:
        return f"{name} could not be run"
    ok = isinstance(records, list) and len(records) == n and all(isinstance(r, dict) for r in records)
    return records if ok else f"{name} could not be run"


def verdict(question: dict, namespace: dict, source: str, answers: dict, timeout: int) -> tuple[bool | None, str]:
    """(passed, the line for the student) of one question of one submission."""
    if "function" in question:
        records = function_records(source, question["function"], namespace["_cases"], timeout)
        if isinstance(records, str):
            return False, records
        return outcome(namespace["judge"], records, namespace["_cases"])
    wanted = collect(question, namespace)
    collected = {k: answers.get(k) for k in wanted}
    return outcome(namespace["judge"], collected[question["value"]], collected, namespace["_reference"])


def local_verdict(namespace: dict, kind: str, name: str) -> bool:
    """The hidden check of the cell just run, in this process (instructor notebooks): True if it passes."""
    if kind == "function":
        cases = namespace["cases"]()
        records = [answer_runner.record(namespace[name], case) for case in cases]
        return outcome(namespace["judge"], records, cases)[0] is True
    wanted = {name: name, **namespace.get("COLLECT", {})}
    collected = {k: eval(expr, namespace) for k, expr in wanted.items()}
    reference = namespace["reference"]() if "reference" in namespace else None
    return outcome(namespace["judge"], collected[name], collected, reference)[0] is True
