"""Build the Japanese and English notebooks from one source per lecture.

Each lecture is written once, in ``notebooks/src/NAME.py``, in the "percent" format:

    # %% [markdown en]        <- English markdown (each line starts with "# ")
    # %% [markdown ja]        <- the same cell in Japanese
    # %%                      <- a code cell, shared by both languages

and this script writes ``notebooks/en/NAME.ipynb`` and ``notebooks/ja/NAME.ipynb`` with cleared
outputs, a Colab badge with the GPU hint and the install cell first (repository and pinned tag
from pyproject.toml).  Code exists once, so the two languages cannot
drift; ``tests/test_notebooks.py`` checks the committed notebooks are up to date.

    python notebooks/build.py           # rewrite the notebooks
    python notebooks/build.py --check   # exit 1 if a notebook differs from its source
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
HEADER = re.compile(r"^# %%(?: \[markdown (ja|en)\])?\s*$")


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
    "ja": "Colab では、実行する前に GPU を選びましょう: *ランタイム > ランタイムのタイプを変更 > GPU*（T4 など）。"
          "GPU がなくてもすべてのセルは動きますが、時間がかかります。",
}
SETUP = f"""\
# Setup. In Colab this installs the lecture package ({REF} of github.com/{REPO})
# and keeps Colab's own packages: their installed versions become pip constraints, so nothing is
# replaced and no restart is needed. Locally (make lectures, make test) it is installed: no-op.
import importlib.metadata as md, importlib.util, subprocess, sys, tempfile
if importlib.util.find_spec("lecture_utils") is None:
    keep = []
    for name in {DEPENDENCIES!r}:
        try:
            keep.append(f"{{name}}=={{md.version(name)}}")
        except md.PackageNotFoundError:
            pass
    with tempfile.NamedTemporaryFile("w", suffix=".txt", delete=False) as f:
        f.write("\\n".join(keep))
    subprocess.check_call([sys.executable, "-m", "pip", "install", "-q", "-c", f.name,
                           "git+https://github.com/{REPO}@{REF}"])"""


def badge(lang: str, name: str) -> str:
    """The Colab badge of one notebook (README's table uses the same links)."""
    return BADGE.format(repo=REPO, ref=REF, lang=lang, name=name)


def parse(text: str) -> list[tuple[str, str | None, str]]:
    """Split a percent-format source into (kind, lang, text) cells; lang is None for code."""
    cells, kind, lang, lines = [], None, None, []

    def flush():
        body = "\n".join(lines).strip("\n")
        if kind and body:
            cells.append((kind, lang, body))

    for line in text.splitlines():
        m = HEADER.match(line)
        if m:
            flush()
            kind, lang, lines = ("markdown" if m.group(1) else "code"), m.group(1), []
            continue
        if kind == "markdown":
            line = line[2:] if line.startswith("# ") else line.lstrip("#")
        lines.append(line)
    flush()
    return cells


def _cell(kind: str, text: str, index: int) -> dict:
    cell = {"cell_type": kind, "id": hashlib.sha1(f"{index}:{text}".encode()).hexdigest()[:8],
            "metadata": {}, "source": text.splitlines(keepends=True)}
    if kind == "code":
        cell.update(execution_count=None, outputs=[])
    return cell


def notebook(cells, lang: str, name: str) -> dict:
    """The notebook of one language: badge, install cell, then the source's cells."""
    chosen = [("markdown", f"{badge(lang, name)}\n\n{GPU_HINT[lang]}"), ("code", SETUP)]
    chosen += [(kind, text) for kind, cell_lang, text in cells if cell_lang in (None, lang)]
    return {
        "cells": [_cell(kind, text, i) for i, (kind, text) in enumerate(chosen)],
        "metadata": {
            "colab": {"provenance": []},
            "kernelspec": {"display_name": "Python 3", "language": "python", "name": "python3"},
            "language_info": {"name": "python"},
        },
        "nbformat": 4,
        "nbformat_minor": 5,
    }


def render(source: Path) -> dict[Path, str]:
    """The text of each language's notebook built from ``source``."""
    cells = parse(source.read_text(encoding="utf-8"))
    return {HERE / lang / f"{source.stem}.ipynb":
            json.dumps(notebook(cells, lang, source.stem), ensure_ascii=False, indent=1) + "\n"
            for lang in LANGS}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="only report notebooks that differ")
    args = parser.parse_args(argv)
    stale = []
    for source in sorted((HERE / "src").glob("*.py")):
        for path, text in render(source).items():
            if path.exists() and path.read_text(encoding="utf-8") == text:
                continue
            stale.append(path)
            if not args.check:
                path.parent.mkdir(exist_ok=True)
                path.write_text(text, encoding="utf-8")
    for path in stale:
        print(f"{'stale' if args.check else 'wrote'}: {path.relative_to(HERE.parent)}")
    return 1 if (args.check and stale) else 0


if __name__ == "__main__":
    sys.exit(main())
