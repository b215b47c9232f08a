"""Build the reading copy of the lectures: one static HTML book per language, side by side.

    python book/build.py                  # build/book/html/{ja,en}/ and build/book/html/index.html
    python book/build.py --jobs 2         # execute two lectures at a time (each lecture's languages in turn)

Steps, for each language:

1. Choose the notebooks: ``notebooks/instructor/{lang}`` when it exists (the book then shows each
   solution folded, under the exercise as students get it), else ``notebooks/{lang}`` (no solutions:
   the course keeps them private). Hidden-check cells (first line ``# HIDDEN CHECKS``) are run but
   never shown (step 3).
   A solution cell is found by position: hidden checks aside, the instructor notebook has
   the student notebook's cells in the same order, and differs exactly where the solutions are.
2. Execute each notebook headless (nbclient) in an empty temporary folder, hidden checks included (so
   the book's build is the one run of the instructor notebooks: a failing hidden check or cell stops
   it; `make test` runs only the student notebooks under nbval), with this process's
   environment, so ``LECTURE_UTILS_REDUCED``, ``LECTURE_UTILS_DOWNLOAD``, ``LECTURE_UTILS_DATA``,
   ``LECTURE_UTILS_CAPSULE`` and ``LECTURE_UTILS_MNIST`` choose the settings and the data as in
   ``make lectures``. Executions are cached by jupyter-cache (``build/book/cache``), keyed on the
   code cells and, through one cache per settings, on the package's code, those variables (the
   data folder's name aside) and which real data the data folder holds: a change of text alone
   reuses the outputs. The executed copy of each page is written to ``build/book/executed/{lang}``
   (what tests/test_executed.py reads).
3. Make the page: the Colab badge served from the site, a note saying which data the figures come
   from (the ``data:`` / ``source:`` lines the notebook printed), widget views removed (a static
   page has no kernel).
4. Run Sphinx with MyST-NB (``book/conf.py``), MathJax served from the site itself (``_static/mathjax``),
   so the book reads offline.

The language switch on every page (``book/_static/langswitch.js``) maps sections by position: the
n-th section of a Japanese page is the n-th of its English page.
"""
from __future__ import annotations

import argparse
import contextlib
import copy
import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import importlib.util

import nbformat

BOOK = Path(__file__).resolve().parent
ROOT = BOOK.parent
LANGS = ("ja", "en")
# The variables that choose the lectures' settings and data; LECTURE_UTILS_DATA only as what it holds
SETTINGS_ENV = ("LECTURE_UTILS_REDUCED", "LECTURE_UTILS_DOWNLOAD", "LECTURE_UTILS_CAPSULE", "LECTURE_UTILS_MNIST")
# the data lines the lectures print (lecture_utils/messages.toml: data_capsule, data_both, gan_data, ...)
DATA_LINE = re.compile(r"^(?:capsule data|data|source|カプセルのデータ|データ): .+$", re.M)
COLAB_BADGE = "https://colab.research.google.com/assets/colab-badge.svg"
GUIDES = ("teaching", "data", "results", "contributing")   # docs/NAME.md, in both books (written in English)
OUTSIDE_DOCS = re.compile(r"\]\(\.\./([^)#\s]+)")           # a link from docs/ to another file of the repository
WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"
CACHE_LOCK = threading.Lock()   # jupyter-cache's database, shared by the lectures' worker threads
ANSWER_PLACEHOLDER = re.compile(r"^\*\*(?:Your answer:\*\*|解答\*\*：)\s*[(（][^)）]*[)）]\s*$")  # "(double-click this cell ...)"
OFFLINE_DATA = re.compile(r"(?:^(?:capsule data|data|source|カプセルのデータ|データ)|\| (?:digits|数字)): (synthetic|bundled)\b", re.M)
# notebooks/build.py: the one place that says which cells are instructor-only, and the pinned repository
_spec = importlib.util.spec_from_file_location("notebooks_build", ROOT / "notebooks" / "build.py")
notebooks_build = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(notebooks_build)
MODEL_ANSWER = notebooks_build.MODEL_ANSWER   # the first line of a model answer (instructors only)
TEXT = {
    "en": {"data": "Data of the figures on this page",
           "data_intro": "The notebook printed these lines when this page was built:",
           "no_data": "The notebook printed no data line.",
           "exercise": "**Exercise.** The cell as students get it:",
           "show": "Show the solution", "hide": "Hide the solution", "answer": "Show the model answer",
           "setup": "Show the setup cell (installs the package in Colab)"},
    "ja": {"data": "このページの図のデータ",
           "data_intro": "このページを作ったとき、ノートブックは次のように表示しました：",
           "no_data": "ノートブックはデータの行を表示しませんでした。",
           "exercise": "**課題**：受講者のノートブックでは、このセルは次のとおりです。",
           "show": "解答を表示", "hide": "解答を隠す", "answer": "解答例を表示",
           "setup": "セットアップのセルを表示（Colab でパッケージをインストールします）",
           "english_only": ":::{note}\nこのガイドは英語だけで書かれています（日本語版はありません）。\n:::"},
}


def hidden(cell) -> bool:
    """A hidden-check cell: graded privately, never shown in the book."""
    return cell.cell_type == "code" and notebooks_build.hidden(cell.source) is not None


def chosen(lang: str) -> tuple[list[Path], bool]:
    """The notebooks the book is made from, and whether they hold the solutions."""
    instructor = sorted((ROOT / "notebooks" / "instructor" / lang).glob("*.ipynb"))
    return (instructor, True) if instructor else (sorted((ROOT / "notebooks" / lang).glob("*.ipynb")), False)


def model_answer(cell) -> bool:
    """A model answer to a follow-up question: a markdown cell only instructor notebooks have."""
    return cell.cell_type == "markdown" and notebooks_build.instructor_only("markdown", cell.source)


def folded_answer(cell, lang: str):
    """A model answer folded under a "Show the model answer" toggle (its formulas typeset by MathJax)."""
    import markdown_it   # myst-parser's Markdown renderer

    body = re.sub(r"\$([^$\n]+)\$", r"\\(\1\\)", cell.source[len(MODEL_ANSWER):].strip())
    html = markdown_it.MarkdownIt().render(body)
    cell.source = (f'<details class="model-answer"><summary>{TEXT[lang]["answer"]}</summary>\n'
                   f'<div class="math">\n{html}</div>\n</details>')
    return cell


def fold_solutions(nb, student, lang: str):
    """``nb`` (an instructor notebook) with each solution cell folded away under the student's version
    of the cell, and each model answer folded away; hidden checks stay where they are."""
    if sum(not model_answer(c) and not hidden(c) for c in nb.cells) != len(student.cells):
        raise SystemExit(f"instructor and student notebooks differ in length ({len(nb.cells)} and "
                         f"{len(student.cells)} cells): run `python notebooks/build.py`")
    cells, theirs_in_order = [], iter(student.cells)
    for cell in nb.cells:
        if model_answer(cell) or hidden(cell):
            cells.append(folded_answer(cell, lang) if model_answer(cell) else cell)
            continue
        theirs = next(theirs_in_order)
        if cell.cell_type == "code" and cell.source != theirs.source:
            shown = nbformat.v4.new_markdown_cell(f"{TEXT[lang]['exercise']}\n\n```python\n{theirs.source}\n```",
                                                  id=f"{cell.id}-exercise")   # a fixed id: the page is the same each build
            cell.metadata.setdefault("tags", []).extend(["hide-input", "solution"])
            cell.metadata["mystnb"] = {"code_prompt_show": TEXT[lang]["show"],
                                       "code_prompt_hide": TEXT[lang]["hide"]}
            cells.append(shown)
        cells.append(cell)
    nb.cells = cells
    return nb


def source(path: Path, lang: str, solutions: bool):
    """The notebook to execute for one page: solutions folded, hidden checks kept (they run, then
    `page` drops them)."""
    nb = nbformat.read(path, as_version=4)
    if solutions:
        nb = fold_solutions(nb, nbformat.read(ROOT / "notebooks" / lang / path.name, as_version=4), lang)
    return nb


def real_data() -> dict:
    """Which real data sets the data folder already holds (``DATA = "auto"`` picks them), by name."""
    from lecture_utils.data import download
    held = {name: download.unpacked(archive) is not None for name, archive in download.ARCHIVES.items()}
    try:
        held["mnist"] = download.find_mnist() is not None
    except Exception as e:   # unreadable files: the notebook says so and uses the bundled digits
        held["mnist"] = type(e).__name__
    return held


def settings() -> str:
    """What an execution depends on besides its code cells: the package's code, the settings
    variables and the real data at hand (not the data folder's name: `make test` makes a new one)."""
    h = hashlib.sha256()
    for path in sorted((ROOT / "lecture_utils").rglob("*.py")):
        h.update(path.read_bytes())
    h.update(json.dumps({k: os.environ.get(k, "") for k in SETTINGS_ENV} | real_data(), sort_keys=True).encode())
    return h.hexdigest()[:16]


def shown(path: Path) -> str:
    """``path`` for a progress line: relative to the repository when inside it."""
    return str(path.relative_to(ROOT)) if path.is_relative_to(ROOT) else str(path)


def cell_timeout() -> int:
    """Seconds one cell may run: an hour at the lecture's settings (a training cell on a CPU), five
    minutes at the reduced ones, so a stalled cell (a widget waiting for a frontend) fails soon."""
    from lecture_utils.config import is_reduced
    return 300 if is_reduced() else 3600


def execute(nb, cached: Path, cache):
    """``nb`` executed, its outputs taken from ``cache`` (jupyter-cache) when it holds an execution of
    the same code cells; the executed notebook is also written to ``cached``."""
    from jupyter_cache.base import CacheBundleIn
    from nbclient import NotebookClient

    start = time.monotonic()
    try:
        with CACHE_LOCK:
            _, nb = cache.merge_match_into_notebook(nb, cell_meta=())   # the cells' tags stay this build's
        print(f"book: reusing the execution of {shown(cached)}", flush=True)
    except KeyError:
        print(f"book: executing {shown(cached)} ...", flush=True)
        with tempfile.TemporaryDirectory(prefix="book-") as work:  # notebooks write nothing here
            NotebookClient(nb, timeout=cell_timeout(), kernel_name="python3", record_timing=False,  # timings
                           resources={"metadata": {"path": work}}).execute()    # would change the cache key
        with CACHE_LOCK:
            cache.cache_notebook_bundle(CacheBundleIn(nb, str(cached)), overwrite=True)
        print(f"book: executed {shown(cached)} in {time.monotonic() - start:.0f} s", flush=True)
    cached.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(nb, cached)
    return nb


def data_lines(nb) -> list[str]:
    """The lines in which the executed notebook says which data it used."""
    text = "".join(o.get("text", "") for c in nb.cells if c.cell_type == "code"
                   for o in c.outputs if o.output_type == "stream" and o.name == "stdout")
    return DATA_LINE.findall(text)


def page(nb, lang: str):
    """The executed notebook as the book shows it: no hidden checks, local badge, data note, setup
    cell folded, no widget views."""
    nb = copy.deepcopy(nb)
    nb.cells = [c for c in nb.cells if not hidden(c)]
    first = nb.cells[0]
    assert first.cell_type == "markdown" and COLAB_BADGE in first.source, "the first cell holds the Colab badge"
    first.source = first.source.replace(COLAB_BADGE, "colab-badge.svg")
    lines = data_lines(nb)
    body = "\n".join([TEXT[lang]["data_intro"], ""] + [f"- `{line}`" for line in lines]) if lines \
        else TEXT[lang]["no_data"]
    note = f":::{{admonition}} {TEXT[lang]['data']}\n:class: note data-source\n\n{body}\n:::"
    nb.cells.insert(1, nbformat.v4.new_markdown_cell(note, id="data-source"))
    setup = next(c for c in nb.cells if c.cell_type == "code")   # the install cell: folded, as reading starts below
    setup.metadata.setdefault("tags", []).append("hide-input")
    setup.metadata["mystnb"] = {"code_prompt_show": TEXT[lang]["setup"]}
    for cell in nb.cells:
        if cell.cell_type == "code":
            cell.outputs = [o for o in cell.outputs if WIDGET_VIEW not in o.get("data", {})]
        if "solution" in cell.metadata.get("tags", []):
            cell.source = without_solution_marks(cell.source)
    nb.cells = [c for c in nb.cells if not answer_placeholder(c)]
    nb.metadata.pop("widgets", None)
    return nb


def without_solution_marks(code: str) -> str:
    """A solution cell as the book shows it: without the ``# BEGIN SOLUTION`` / ``# END SOLUTION``
    lines and ``# SOLUTION`` comments that notebooks/build.py reads (the code is unchanged)."""
    marks = (notebooks_build.BEGIN, notebooks_build.END)
    return "\n".join(re.sub(r"\s*# SOLUTION\s*$", "", line) if notebooks_build.ANSWER.match(line) else line
                     for line in code.splitlines() if not any(m.match(line) for m in marks))


def answer_placeholder(cell) -> bool:
    """A student's empty answer cell ("**Your answer:** (double-click this cell and write here)"):
    nothing to read on a page, where no cell can be edited."""
    return cell.cell_type == "markdown" and bool(ANSWER_PLACEHOLDER.match(cell.source.strip()))


def offline_data(nb) -> str | None:
    """Why ``nb`` (executed) does not show the real data: the data line naming an offline default
    (synthetic capsule, bundled digits), or that it printed no data line; None if it does."""
    lines = data_lines(nb)
    if not lines:
        return "it printed no data line"
    offline = [line for line in lines if OFFLINE_DATA.search(line)]
    return f"it used the offline default: {offline[0]}" if offline else None


def refuse_offline(pages, executed_dir: Path, cache) -> None:
    """With ``LECTURE_UTILS_DOWNLOAD`` on (``make book DOWNLOAD=1``, the publishing workflow), stop
    with one line unless every executed page of ``pages`` ([(lang, path, nb)]) used the real data:
    a failed download must fail the build, not publish synthetic figures. Such pages' executions are
    removed from ``cache`` and ``executed_dir/LANG/NAME.ipynb``, so the next build runs them (and
    their downloads) again instead of reusing them."""
    from lecture_utils import config

    if not config.switch("LECTURE_UTILS_DOWNLOAD"):
        return
    refused = [(lang, path, nb, why) for lang, path, nb in pages if (why := offline_data(nb))]
    for lang, path, nb, _ in refused:
        (executed_dir / lang / path.name).unlink(missing_ok=True)
        with contextlib.suppress(KeyError):
            cache.remove_cache(cache.match_cache_notebook(nb).pk)
    if refused:
        lang, path, _, why = refused[0]
        raise SystemExit(f"book: not published: LECTURE_UTILS_DOWNLOAD=1 asks for the real data, but {lang}/{path.stem} "
                         f"{why} ({len(refused)} page(s); a download failed? their executions were removed)")


def guide(name: str, lang: str = "en") -> str:
    """docs/NAME.md as a page of the book: its links to other files of the repository point at them
    on GitHub, at the tag the badges pin. The guides are written in English: the Japanese book says
    so under the title."""
    blob = f"https://github.com/{notebooks_build.REPO}/blob/{notebooks_build.REF}/"
    text = OUTSIDE_DOCS.sub(lambda m: f"]({blob}{m.group(1)}", (ROOT / "docs" / f"{name}.md").read_text(encoding="utf-8"))
    if lang == "en":
        return text
    title, _, rest = text.partition("\n")
    return f"{title}\n\n{TEXT[lang]['english_only']}\n{rest}"


def index(lang: str, names: list[str], solutions: bool) -> str:
    """The language's first page: the lectures in order."""
    title = {"en": "Unsupervised visual anomaly detection", "ja": "教師なし画像異常検知"}[lang]
    intro = {"en": "Lecture notebooks, executed: every figure as the notebook draws it. "
                   "The button at the top of each page opens the notebook in Google Colab.",
             "ja": "実行済みの講義ノートブックです。図はすべてノートブックが描いたものです。"
                   "各ページ上部のボタンから Google Colab でノートブックを開けます。"}[lang]
    hidden_note = {"en": "Solutions are not published.", "ja": "演習の解答は公開していません。"}[lang]
    guides = {"en": "Guides", "ja": "ガイド（英語）"}[lang]
    toc = "\n".join(names)
    return f"# {title}\n\n{intro}{'' if solutions else ' ' + hidden_note}\n\n" \
           f"```{{toctree}}\n:maxdepth: 1\n\n{toc}\n```\n\n" \
           f"```{{toctree}}\n:maxdepth: 1\n:caption: {guides}\n\n" + "\n".join(GUIDES) + "\n```\n"


def sphinx(src: Path, out: Path, lang: str) -> None:
    """Run Sphinx (config in book/conf.py) on one language's pages, in a process of its own: Sphinx
    keeps the first language's interface translations for the rest of a process."""
    status = subprocess.run([sys.executable, "-m", "sphinx", "-b", "html", "-q", "-W", "--keep-going",
                             "-c", str(BOOK), "-D", f"language={lang}", str(src), str(out)]).returncode
    if status:
        raise SystemExit(f"sphinx-build failed for {lang} (status {status})")


def mathjax(out: Path) -> None:
    """MathJax 2 (jupyter-server-mathjax's copy) in the site (``out/_static/mathjax``): formulas render offline."""
    import jupyter_server_mathjax

    static = Path(jupyter_server_mathjax.__file__).parent / "static"
    shutil.copytree(static, out / "_static" / "mathjax", dirs_exist_ok=True,
                    ignore=shutil.ignore_patterns("localization", "a11y", "mhchem3"))


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=ROOT / "build" / "book", help="default: build/book")
    parser.add_argument("--jobs", type=int, default=1, help="lectures executed at a time (each one's languages in turn)")
    args = parser.parse_args(argv)
    out = args.out.resolve()
    jobs = []
    for lang in LANGS:
        paths, solutions = chosen(lang)
        jobs += [(lang, p, solutions) for p in paths]
    # One worker per lecture runs its languages in turn: the second reuses the weights the first
    # cached, and no two kernels ever write the same cache file at once. The last lectures train the
    # most, so they start first.
    lectures = {}
    for job in sorted(jobs, key=lambda job: job[1].name, reverse=True):
        lectures.setdefault(job[1].name, []).append(job)

    from jupyter_cache import get_cache
    cache = get_cache(out / "cache" / settings())   # one cache per settings; inside, keyed on the code cells

    def run(lecture):
        return [execute(source(path, lang, sol), out / "executed" / lang / path.name, cache)
                for lang, path, sol in lecture]

    results = {}
    with ThreadPoolExecutor(args.jobs) as pool:
        for lecture, nbs in zip(lectures.values(), pool.map(run, lectures.values())):
            results.update(zip(lecture, nbs))
    executed = [results[job] for job in jobs]
    refuse_offline([(lang, path, nb) for (lang, path, _), nb in zip(jobs, executed)], out / "executed", cache)
    manifest = {"languages": list(LANGS), "pages": {}, "solutions": {}, "guides": list(GUIDES)}
    for lang in LANGS:
        src = out / "src" / lang
        shutil.rmtree(src, ignore_errors=True)
        src.mkdir(parents=True)
        shutil.copy(BOOK / "_static" / "colab-badge.svg", src)
        mine = [(path, nb) for (l, path, _), nb in zip(jobs, executed) if l == lang]
        for path, nb in mine:
            nbformat.write(page(nb, lang), src / path.name)
        names = [path.stem for path, _ in mine]
        solutions = chosen(lang)[1]
        (src / "index.md").write_text(index(lang, names, solutions), encoding="utf-8")
        for name in GUIDES:
            (src / f"{name}.md").write_text(guide(name, lang), encoding="utf-8")
        sphinx(src, out / "html" / lang, lang)
        mathjax(out / "html" / lang)
        manifest["pages"][lang] = names
        manifest["solutions"][lang] = solutions
    shutil.copy(BOOK / "root.html", out / "html" / "index.html")
    (out / "html" / ".nojekyll").touch()   # GitHub Pages: serve _static/ and _images/ as they are
    (out / "html" / "book.json").write_text(json.dumps(manifest, indent=1), encoding="utf-8")
    print(f"book: {out / 'html' / 'index.html'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
