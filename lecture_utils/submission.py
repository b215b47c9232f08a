"""Run one submitted notebook in its own temporary folder and collect its answers.

The notebook is written into a fresh temporary folder (nothing else is copied there) and executed
top to bottom by nbclient in a fresh Jupyter kernel whose working folder, ``HOME`` and ``TMPDIR``
are inside it. A cell that raises does not stop the run; a cell that runs past ``timeout`` seconds
ends it: the kernel is killed (not interrupted: a loop may ignore interrupts). Then one collection
cell evaluates the expressions the grading bundle asks for (the value answers, e.g. ``moved_ratio``,
and inputs a check needs, e.g. the trained weights) and saves them with ``torch.save``; the grader
reads them with ``torch.load(weights_only=True)``: numbers, strings, tensors, nothing that runs code.

Function answers are not taken from the kernel at all: ``code`` returns the notebook's code cells,
which ``answer_runner`` runs in a fresh interpreter.
"""
from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path
from unittest import mock

import torch

ANSWERS = "answers.pt"
PACKAGE_ROOT = str(Path(__file__).resolve().parent.parent)    # the kernel imports this lecture_utils
MAX_ANSWERS_BYTES = 200 * 2**20


def read_notebook(data: bytes):
    """The nbformat notebook of a submission's bytes; ValueError with why when it is not one."""
    import nbformat
    try:
        return nbformat.reads(data.decode("utf-8"), as_version=4)
    except Exception as e:
        raise ValueError(f"not a readable notebook ({type(e).__name__})") from None


def notebook_name(nb) -> str | None:
    """The lecture a notebook was built for (``notebooks/build.py`` writes it into the metadata)."""
    return nb.metadata.get("lecture_utils", {}).get("notebook")


def code(nb) -> str:
    """The notebook's code cells joined into one source; cells that are not valid Python are left out."""
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


def load_answers(path: Path) -> dict:
    """The collected values, read without running code; {} when missing, too large or not plain data."""
    try:
        if path.stat().st_size > MAX_ANSWERS_BYTES:
            return {}
        answers = torch.load(path, weights_only=True)
    except Exception:
        return {}
    return answers if isinstance(answers, dict) else {}


def execute(nb, collect: dict, timeout: int, reduced: bool = False) -> tuple[dict, str]:
    """Run ``nb`` in a fresh kernel in its own temporary folder; (collected values, note on the run)."""
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
        return load_answers(Path(work) / ANSWERS), note
