"""Build the Japanese and English notebooks from one source per lecture.

Each lecture is written once, in ``notebooks/src/NAME.py``, in jupytext's py:percent format, the
language of a markdown cell as its metadata (so JupyterLab with jupytext, or ``jupytext --to ipynb``,
opens a source as one runnable notebook holding both languages):

    # %% [markdown] lang="en"   <- English markdown (each line starts with "# ")
    # %% [markdown] lang="ja"   <- the same cell in Japanese
    # %%                        <- a code cell, shared by both languages

Homework is marked inside code cells (as in otter-grader's ``otter assign``)::

    def bernoulli_kl(x, x_hat):
        # BEGIN SOLUTION
        ...                                   <- the instructor's solution
        # END SOLUTION
    answer = compute_it()  # SOLUTION         <- a one-line answer

    # HIDDEN CHECKS q1 points=2 function=bernoulli_kl   <- a cell of grading-only checks (lecturer code:
    def cases(): ...                                       inputs, and a judge with the references; see
    def judge(records, cases): ...                         lecture_tools/grading.py; it imports only
                                                           lecture_utils, as instructor notebooks run it)

and a markdown cell whose first line is ``<!-- SOLUTION -->`` is a model answer to a follow-up
question: it appears in the instructor notebook only (the student's notebook keeps the answer cell
before it).

and this script writes, for each language, with cleared outputs, a Colab badge with the GPU hint
and the install cell first (repository and pinned tag from pyproject.toml; the cell also sets
``LECTURE_UTILS_LANG``, the language of the checks' messages):

* ``notebooks/{ja,en}/NAME.ipynb``: the student notebook (what the badges open): every solution
  block becomes ``raise NotImplementedError``, every one-line answer ``= None``, no hidden checks
  and no model answers;
* ``notebooks/instructor/{ja,en}/NAME.ipynb``: the source as written, solutions and hidden checks;
* ``notebooks/grading/NAME.json``: the grading bundle, the hidden-check cells and their points
  (``python -m lecture_tools homework grade`` judges each submission with them in a clean process).

``--private DIR`` writes the instructor notebooks and the bundles under ``DIR`` instead, so that the
public tree (what the badges open) carries no solution.

Code exists once, so the languages and versions cannot drift; ``tests/test_notebooks.py`` checks
the committed files are up to date.

    python notebooks/build.py           # rewrite the notebooks and bundles
    python notebooks/build.py --check   # exit 1 if a file differs from its source
"""
from __future__ import annotations

import argparse
import hashlib
import json
import re
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
LANGS = ("ja", "en")
PYPROJECT = HERE.parent / "pyproject.toml"
HEADER = re.compile(r'^# %%(?: \[markdown\] lang="(ja|en)")?\s*$')   # a cell's first line (style.py)


def _project() -> tuple[str, str, list[str]]:
    """``(repository, version, dependency names)`` from pyproject.toml: the one place to re-point a fork."""
    try:
        import tomllib
    except ModuleNotFoundError:    # Python < 3.11: the same parser, from the dev extras
        import tomli as tomllib
    data = tomllib.loads(PYPROJECT.read_text(encoding="utf-8"))
    names = [re.split(r"[<>=!~;\[ ]", d, maxsplit=1)[0] for d in data["project"]["dependencies"]]
    return data["tool"]["lecture_utils"]["repository"], data["project"]["version"], names


REPO, VERSION, DEPENDENCIES = _project()   # GitHub owner/name; badges and install cell use it
REF = f"v{VERSION}"                        # the git tag of this version: what badges and install cell pin
BADGE_URL = "https://colab.research.google.com/github/{repo}/blob/{ref}/notebooks/{lang}/{name}.ipynb"
BADGE = "[![Open In Colab](https://colab.research.google.com/assets/colab-badge.svg)](" + BADGE_URL + ")"
GPU_HINT = {
    "en": "In Colab, choose a GPU before running anything: *Runtime > Change runtime type > GPU* (e.g. T4). "
          "Without one every cell still runs, only slower.",
    "ja": "Colab では、実行する前に［ランタイム］>［ランタイムのタイプを変更］で GPU（T4 など）を選びましょう。"
          "GPU がなくてもすべてのセルは動きますが、時間がかかります。",
}
INSTALL_FAILED = {   # {{reason}}: pip's reason, filled in by the install cell
    "en": "Could not install lecture_utils from github.com/{repo} at tag {ref} (pip: {{reason}}): check that "
          "the runtime is online and that the tag exists (https://github.com/{repo}/tags).",
    "ja": "github.com/{repo} のタグ {ref} から lecture_utils をインストールできませんでした（pip: {{reason}}）。"
          "ランタイムがインターネットにつながっているか、タグがあるか（https://github.com/{repo}/tags）を確かめてください。",
}
def language_lines(lang: str) -> str:
    """The only lines in which a notebook's code differs between languages: the language of the
    package's messages, and the install cell's one-line failure."""
    failed = INSTALL_FAILED[lang].format(repo=REPO, ref=REF)
    return f'os.environ["LECTURE_UTILS_LANG"] = "{lang}"  # the language of the package\'s messages\n' \
           f'INSTALL_FAILED = {failed!r}\n'


def setup_cell(lang: str) -> str:
    """The first code cell: the notebook's language, then (in Colab) the install, failing in one line."""
    return f"""\
# Setup. In Colab this installs the lecture package ({REF} of github.com/{REPO})
# and keeps Colab's own packages: their installed versions become pip constraints, so nothing is
# replaced and no restart is needed. Locally (make lectures, make test) it is installed: no-op.
import importlib.metadata as md, importlib.util, os, subprocess, sys, tempfile
{language_lines(lang)}if importlib.util.find_spec("lecture_utils") is None:
    keep = []
    for name in {DEPENDENCIES!r}:
        try:
            keep.append(f"{{name}}=={{md.version(name)}}")
        except md.PackageNotFoundError:
            pass
    with tempfile.NamedTemporaryFile("w", suffix=".txt", delete=False) as f:
        f.write("\\n".join(keep))
    pip = subprocess.run([sys.executable, "-m", "pip", "install", "-q", "--no-color", "-c", f.name,
                          "git+https://github.com/{REPO}@{REF}"], capture_output=True, text=True)
    if pip.returncode != 0:   # one line with pip's reason (git's, if cloning failed), not pip's output
        said = [line.strip() for line in pip.stderr.splitlines()]
        why = [line for line in said if line.startswith(("fatal:", "error:")) and "subprocess-exited" not in line]
        why = (why or [line for line in said if line.startswith("ERROR:")] or [f"exit status {{pip.returncode}}"])[0]
        class InstallFailed(Exception):
            def _render_traceback_(self):   # what IPython shows: this line, no traceback
                return [str(self)]
        raise InstallFailed(INSTALL_FAILED.format(reason=why.split(":", 1)[-1].strip()))"""


def badge(lang: str, name: str) -> str:
    """The Colab badge of one notebook (README's table uses the same links)."""
    return BADGE.format(repo=REPO, ref=REF, lang=lang, name=name)


BEGIN = re.compile(r"^(\s*)# BEGIN SOLUTION\s*$")
END = re.compile(r"^\s*# END SOLUTION\s*$")
ANSWER = re.compile(r"^(\s*)(\S.*?)\s*=\s*\S.*?\s*# SOLUTION\s*$")
HIDDEN = re.compile(r"^# HIDDEN CHECKS (\w+) points=(\d+) (function|value)=(\w+)\s*$")
LOCAL = '\nfrom lecture_utils.hidden import local_verdict\nassert local_verdict(globals(), "{kind}", "{name}")'
PLACEHOLDER = 'raise NotImplementedError("your code here")'
MODEL_ANSWER = "<!-- SOLUTION -->"   # first line of a markdown cell that only instructors see


def parse(text: str) -> list[tuple[str, str | None, str]]:
    """A py:percent source, read by jupytext, as (kind, lang, text) cells; lang is None for code."""
    import jupytext   # the dev extra's; imported here so that the Colab test run needs it not
    notebook = jupytext.reads(text, fmt="py:percent")
    return [(c.cell_type, c.metadata.get("lang"), c.source) for c in notebook.cells if c.source.strip()]


def hidden(code: str) -> tuple[str, int, str, str] | None:
    """(question, points, "function" or "value", the answer's name) if ``code`` is a cell of hidden
    checks, else None."""
    m = HIDDEN.match(code.splitlines()[0]) if code else None
    return (m.group(1), int(m.group(2)), m.group(3), m.group(4)) if m else None


def instructor_only(kind: str, text: str) -> bool:
    """Whether a cell is left out of the student's notebook: hidden checks and model answers."""
    return bool(hidden(text)) if kind == "code" else text.startswith(MODEL_ANSWER)


def instructor_cell(code: str) -> str:
    """A code cell of the instructor notebook: a hidden-check cell runs its check on the spot."""
    h = hidden(code)
    return code + LOCAL.format(kind=h[2], name=h[3]) if h else code


def strip_solutions(code: str) -> str:
    """The student's version of a code cell: each solution block replaced by ``raise
    NotImplementedError`` (blocks sit inside functions), each ``x = ...  # SOLUTION`` by ``x = None``."""
    out, inside = [], False
    for line in code.splitlines():
        begin, answer = BEGIN.match(line), ANSWER.match(line)
        if begin:
            if inside or not begin.group(1):
                raise ValueError(f"solution blocks must be inside a function and not nested: {line!r}")
            out.append(begin.group(1) + PLACEHOLDER)
            inside = True
        elif END.match(line):
            if not inside:
                raise ValueError("# END SOLUTION without # BEGIN SOLUTION")
            inside = False
        elif inside:
            continue
        elif answer:
            out.append(f"{answer.group(1)}{answer.group(2)} = None  # your answer")
        else:
            out.append(line)
    if inside:
        raise ValueError("# BEGIN SOLUTION without # END SOLUTION")
    return "\n".join(out)


def _cell(kind: str, text: str, index: int) -> dict:
    cell = {"cell_type": kind, "id": hashlib.sha1(f"{index}:{text}".encode()).hexdigest()[:8],
            "metadata": {}, "source": text.splitlines(keepends=True)}
    if kind == "code":
        cell.update(execution_count=None, outputs=[])
    return cell


def notebook(cells, lang: str, name: str, instructor: bool = False) -> dict:
    """The notebook of one language: badge, install cell, then the source's cells (the student's
    version unless ``instructor``: solutions stripped, hidden checks and model answers left out)."""
    chosen = [("markdown", f"{badge(lang, name)}\n\n{GPU_HINT[lang]}"), ("code", setup_cell(lang))]
    for kind, cell_lang, text in cells:
        if cell_lang not in (None, lang) or (not instructor and instructor_only(kind, text)):
            continue
        chosen.append((kind, text if kind == "markdown" else instructor_cell(text) if instructor
                       else strip_solutions(text)))
    return {
        "cells": [_cell(kind, text, i) for i, (kind, text) in enumerate(chosen)],
        "metadata": {
            "colab": {"provenance": []},
            "kernelspec": {"display_name": "Python 3", "language": "python", "name": "python3"},
            "language_info": {"name": "python"},
            "lecture_utils": {"notebook": name, "lang": lang},   # the grader refuses another lecture's bundle
        },
        "nbformat": 4,
        "nbformat_minor": 5,
    }


def bundle(cells, name: str) -> dict | None:
    """The grading bundle: each hidden-check cell with its question and points (None without any)."""
    questions = [{"question": h[0], "points": h[1], h[2]: h[3], "code": text}
                 for kind, _, text in cells if kind == "code" and (h := hidden(text))]
    names = [q["question"] for q in questions]
    if len(set(names)) != len(names):
        raise ValueError(f"{name}: a question has two hidden-check cells: {names}")
    return {"notebook": name, "questions": questions} if questions else None


def _json(data: dict) -> str:
    return json.dumps(data, ensure_ascii=False, indent=1) + "\n"


def render(source: Path, private: Path = HERE) -> dict[Path, str]:
    """The text of every file built from ``source``: student notebooks per language in the public
    tree; instructor notebooks and the grading bundle (the solutions) under ``private``."""
    cells, name = parse(source.read_text(encoding="utf-8")), source.stem
    files = {}
    for lang in LANGS:
        files[HERE / lang / f"{name}.ipynb"] = _json(notebook(cells, lang, name))
        files[private / "instructor" / lang / f"{name}.ipynb"] = _json(notebook(cells, lang, name, instructor=True))
    if (grading := bundle(cells, name)) is not None:
        files[private / "grading" / f"{name}.json"] = _json(grading)
    return files


def update(files: dict, check: bool, wrote: str = "wrote", stale: str = "stale") -> int:
    """Write each file of ``files`` ({path: text}) whose text changed, or with ``check`` only list
    it; returns 1 when ``check`` found one, else 0."""
    changed = [path for path, text in files.items()
               if not (path.exists() and path.read_text(encoding="utf-8") == text)]
    for path in changed:
        if not check:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(files[path], encoding="utf-8")
        print(f"{stale if check else wrote}: {path.relative_to(HERE.parent) if path.is_relative_to(HERE.parent) else path}")
    return 1 if (check and changed) else 0


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="only report notebooks that differ")
    parser.add_argument("--private", type=Path, default=HERE, metavar="DIR",
                        help="write the instructor notebooks and grading bundles (the solutions) under DIR "
                             "instead of notebooks/: keep DIR outside the tree you publish")
    args = parser.parse_args(argv)
    private = args.private.resolve()
    if private != HERE and private.is_relative_to(HERE.parent):
        parser.error(f"--private {args.private} is inside the public tree {HERE.parent}: choose a folder outside it")
    files = {path: text for source in sorted((HERE / "src").glob("*.py"))
             for path, text in render(source, private).items()}
    return update(files, args.check)

if __name__ == "__main__":
    sys.exit(main())
