"""What runs inside a submission's kernel when it is graded: the launcher, then the answers it hands back.

``grading.py`` starts the kernel with :func:`launch` (limits, the sandbox's data folder, then
IPython's kernel), runs every cell of the submitted notebook as the student would, and then the
cells that hand the answers back: :func:`collect` saves the value answers (and the inputs a check
needs) and :func:`run_question` calls a function answer, as the notebook defines it after its run
(with its helpers, constants and decorators), on each of the grader's inputs and saves what every
call did (:func:`record`). Both write with ``torch.save`` into the folder the grader reads back
(``torch.load(weights_only=True)``, size-capped). Nothing here knows a reference or judges: the
grader compares the records with references it computes in its own process, which never runs
submitted code. Code of the notebook can change what these functions save, but only to values it
computed itself. What a call did is recorded by ``lecture_utils.hidden.record``, which the
instructor notebooks run too (the inputs a case may hold: see there).
"""
from __future__ import annotations

import json
import os
import sys
from pathlib import Path

import torch

from lecture_utils.hidden import evaluated, record


def run_question(namespace: dict, name: str, cases_path: str, out_path: str) -> None:
    """Call ``namespace[name]`` (the notebook's function after its run) on every case; save the records.
    A name the notebook never defined is recorded as not answered."""
    cases = torch.load(cases_path, weights_only=True)
    fn = namespace.get(name)
    if fn is None:
        records = [{"status": "missing"}] * len(cases)
    elif not callable(fn):
        records = [{"status": "error", "error": f"{name} is a {type(fn).__name__}, not a function"}] * len(cases)
    else:
        records = [record(fn, case) for case in cases]
    torch.save(records, out_path)


def collect(namespace: dict, expressions: dict, out_path: str) -> None:
    """Save the values of the expressions ({name: expression}) in the notebook's namespace
    (``hidden.evaluated``: one that fails is left out, its answer reads as not given)."""
    torch.save(evaluated(namespace, expressions), out_path)


def _limit(limits: dict) -> None:
    """setrlimit for this process and everything it starts (``sandbox.Limits``)."""
    import resource   # POSIX only: imported here so that instructor notebooks run on Windows too
    for kind, value in ((resource.RLIMIT_DATA, limits["memory"]), (resource.RLIMIT_CPU, limits["cpu"]),
                        (resource.RLIMIT_FSIZE, limits["file"])):
        resource.setrlimit(kind, (value, value))


def _link_data(mirror: dict) -> None:
    """Inside the sandbox: the data folder's tree, each file a link to the lecturer's read-only copy."""
    seen, data = Path(mirror["seen"]), Path(mirror["data"])
    for folder in mirror["folders"]:
        (data / folder).mkdir(parents=True, exist_ok=True)
    for name in mirror["files"]:
        os.symlink(seen / name, data / name)
    for name, target in mirror["links"].items():     # the lecturer's own links, to folders bound at their paths
        os.symlink(target, data / name)


def launch() -> None:
    """``python -c ... launch.json -f kernel.json``: limits, data folder, then IPython's kernel
    (torch imported first, so that no cell's time limit pays for it)."""
    settings = json.loads(Path(sys.argv.pop(1)).read_text(encoding="utf-8"))
    _limit(settings["limits"])
    if settings["mirror"]:
        _link_data(settings["mirror"])
    from ipykernel import kernelapp
    kernelapp.launch_new_instance()
