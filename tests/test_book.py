"""The reading copy (book/build.py, `make book`), opened in a real browser.

The built site (build/book/html) is served on 127.0.0.1 and each page is opened in headless
Chromium, driven over the Chrome DevTools Protocol. Per page: no console error and no request
that leaves the local server (MathJax, fonts and the Colab badge come from the site), every image
loads, every formula is typeset, the Colab link opens the pinned notebook, the data note is there,
solutions are folded (or absent), and the language switch lands on the same section of the other
language's page. One screenshot per page goes to build/book-screenshots/ for a person to look at.

Without a built book or a browser these tests are skipped; with BOOK_REQUIRED=1 (make test-book,
CI) they fail instead. The browser is $BOOK_BROWSER, else chromium, chromium-browser or google-chrome;
the site is $BOOK_HTML, else build/book/html.
"""
from __future__ import annotations

import base64
import functools
import importlib.util
import http.server
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import tomllib
import urllib.request
from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parent.parent
HTML = Path(os.environ.get("BOOK_HTML", ROOT / "build" / "book" / "html"))  # book/build.py --out DIR: DIR/html
SHOTS = ROOT / "build" / "book-screenshots"
REQUIRED = os.environ.get("BOOK_REQUIRED") == "1"
MANIFEST = json.loads((HTML / "book.json").read_text(encoding="utf-8")) if (HTML / "book.json").exists() else None
PAGES = [(lang, name) for lang in (MANIFEST or {}).get("languages", [])
         for name in ["index"] + MANIFEST["pages"][lang] + MANIFEST.get("guides", [])]
PROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--remote-debugging-port=0", "--window-size=1280,1600"]
sys.path.insert(0, str(ROOT / "notebooks"))
import build as notebooks_build  # noqa: E402  (notebooks/build.py: which cells hold solutions)
import style  # noqa: E402  (notebooks/style.py: stray spaces in Japanese)

_spec = importlib.util.spec_from_file_location("book_build", ROOT / "book" / "build.py")
book_build = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(book_build)


def need(ok: bool, reason: str) -> None:
    """Skip when ``ok`` is false, or fail under BOOK_REQUIRED=1 (CI must not skip)."""
    if not ok:
        (pytest.fail if REQUIRED else pytest.skip)(reason)


def browser() -> str | None:
    return os.environ.get("BOOK_BROWSER") or next(
        filter(None, map(shutil.which, ("chromium", "chromium-browser", "google-chrome"))), None)


class Page:
    """One browser tab over the DevTools Protocol: commands, and the events seen since ``clear``."""

    def __init__(self, url: str):
        import websocket  # websocket-client, in the [docs] extra
        self.ws = websocket.create_connection(url, timeout=60, suppress_origin=True)
        self.events, self._id = [], 0
        for domain in ("Page", "Runtime", "Log", "Network"):
            self.send(f"{domain}.enable")

    def send(self, method: str, **params):
        self._id += 1
        self.ws.send(json.dumps({"id": self._id, "method": method, "params": params}))
        while True:
            msg = json.loads(self.ws.recv())
            if msg.get("id") == self._id:
                if "error" in msg:
                    raise RuntimeError(f"{method}: {msg['error']}")
                return msg["result"]
            self.events.append(msg)

    def wait_for(self, event: str, timeout: float = 60) -> dict:
        """The first ``event`` seen since ``clear``, waiting for it if need be."""
        deadline = time.monotonic() + timeout
        while not (found := [e for e in self.events if e.get("method") == event]):
            if time.monotonic() > deadline:
                raise TimeoutError(event)
            self.events.append(json.loads(self.ws.recv()))
        return found[0]

    def clear(self):
        self.events = []

    def js(self, expression: str):
        """The value of ``expression`` (awaited if it is a promise)."""
        result = self.send("Runtime.evaluate", expression=expression, awaitPromise=True, returnByValue=True)
        if "exceptionDetails" in result:
            raise RuntimeError(f"{expression}: {result['exceptionDetails']}")
        return result["result"].get("value")

    def open(self, url: str):
        self.clear()
        self.send("Page.navigate", url=url)
        self.wait_for("Page.loadEventFired")
        self.js("window.MathJax && MathJax.Hub ? new Promise(done => MathJax.Hub.Queue(done)) : null")

    def problems(self, origin: str) -> list[str]:
        """Console errors, uncaught exceptions, failed loads and requests that left ``origin``."""
        found = []
        for e in self.events:
            method, p = e.get("method"), e.get("params", {})
            if method == "Runtime.consoleAPICalled" and p["type"] == "error":
                found.append("console: " + " ".join(str(a.get("value", a.get("description"))) for a in p["args"]))
            elif method == "Runtime.exceptionThrown":
                found.append("exception: " + p["exceptionDetails"].get("text", ""))
            elif method == "Log.entryAdded" and p["entry"]["level"] == "error":
                found.append("log: " + p["entry"]["text"] + " " + p["entry"].get("url", ""))
            elif method == "Network.requestWillBeSent" and not p["request"]["url"].startswith((origin, "data:", "blob:", "about:")):
                found.append("network: " + p["request"]["url"])
            elif method == "Network.loadingFailed" and not p.get("canceled"):
                found.append("failed: " + p.get("errorText", ""))
        return found


@pytest.fixture(scope="module")
def site():
    """The built book served on 127.0.0.1 from a thread: its base URL."""
    need(MANIFEST is not None, f"the book is not built ({HTML}): run `make book REDUCED=1`")
    class Quiet(http.server.SimpleHTTPRequestHandler):
        def log_message(self, *args):
            pass
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(Quiet, directory=str(HTML)))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_port}/"
    server.shutdown()


@pytest.fixture(scope="module")
def page(site):
    """A tab of a headless Chromium with a new, empty profile."""
    exe = browser()
    need(exe is not None, "no Chromium found (apt-get install chromium, or set BOOK_BROWSER)")
    pytest.importorskip("websocket", reason="websocket-client is in the [docs] extra")
    with tempfile.TemporaryDirectory(prefix="book-chromium-", ignore_cleanup_errors=True) as profile:
        proc = subprocess.Popen([exe, *FLAGS, f"--user-data-dir={profile}", "about:blank"],
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            port_file, deadline = Path(profile) / "DevToolsActivePort", time.monotonic() + 60
            while not port_file.exists() or not port_file.read_text().strip():
                assert proc.poll() is None and time.monotonic() < deadline, f"{exe} did not start"
                time.sleep(0.2)
            port = port_file.read_text().split()[0]
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/json/list") as r:
                target = next(t for t in json.load(r) if t["type"] == "page")
            tab = Page(target["webSocketDebuggerUrl"])
            yield tab
            tab.ws.close()
        finally:
            proc.terminate()
            proc.wait(timeout=30)


def solution_cells(lang: str, name: str) -> int:
    """How many code cells of the instructor notebook differ from the student's: its solutions."""
    def code(path):
        cells = json.loads(path.read_text(encoding="utf-8"))["cells"]
        return ["".join(c["source"]) for c in cells
                if not notebooks_build.instructor_only(c["cell_type"], "".join(c["source"]))]
    instructor = code(ROOT / "notebooks" / "instructor" / lang / f"{name}.ipynb")
    student = code(ROOT / "notebooks" / lang / f"{name}.ipynb")
    return sum(a != b for a, b in zip(instructor, student))


SECTIONS = "[...document.querySelectorAll('article section[id]')].map(s => s.id)"


def book_author() -> str:
    """The author the book's footer names (book/conf.py)."""
    names = [a["name"] for a in PROJECT["project"].get("authors", [])]
    return ", ".join(names) or PROJECT["tool"]["lecture_utils"]["repository"].split("/")[0]


# book/build.py's choices, checked without building (fast, no browser)

@pytest.mark.parametrize("lang", ["ja", "en"])
def test_instructor_pages_fold_exactly_the_solutions_and_run_but_hide_hidden_checks(lang):
    if not any((ROOT / "notebooks" / "instructor" / lang).glob("*.ipynb")):
        pytest.skip("the instructor notebooks are kept private (notebooks/build.py --private)")
    for path in sorted((ROOT / "notebooks" / "instructor" / lang).glob("*.ipynb")):
        nb = book_build.source(path, lang, solutions=True)
        folded = [c for c in nb.cells if "solution" in c.metadata.get("tags", [])]
        assert len(folded) == solution_cells(lang, path.stem) > 0
        assert all("hide-input" in c.metadata["tags"] for c in folded)
        checks = [c.source for c in nbformat.read(path, as_version=4).cells if c.source.startswith("# HIDDEN CHECKS")]
        assert checks and [c.source for c in nb.cells if c.source.startswith("# HIDDEN CHECKS")] == checks, \
            "the hidden checks are executed with the book"
        assert not any(c.source.startswith("# HIDDEN CHECKS") for c in book_build.page(nb, lang).cells)
        answers = [c for c in nbformat.read(path, as_version=4).cells if book_build.model_answer(c)]
        folded_answers = [c for c in nb.cells if c.source.startswith('<details class="model-answer">')]
        assert len(folded_answers) == len(answers) and not any(book_build.model_answer(c) for c in nb.cells)
        assert book_build.MODEL_ANSWER == notebooks_build.MODEL_ANSWER
        student = nbformat.read(ROOT / "notebooks" / lang / path.name, as_version=4)
        shown = [c for c in nb.cells if c.cell_type == "markdown" and c.source.startswith(book_build.TEXT[lang]["exercise"])]
        assert [c.source.split("```python\n")[1].rstrip("`\n") for c in shown] == \
               [c.source for c in student.cells if c.cell_type == "code"
                and ("your code here" in c.source or "# your answer" in c.source)], "each solution follows the exercise as students get it"


def test_student_pages_have_no_solutions():
    for path in sorted((ROOT / "notebooks" / "en").glob("*.ipynb")):
        nb = book_build.source(path, "en", solutions=False)
        text = "\n".join(c.source for c in nb.cells)
        assert "SOLUTION" not in text and "HIDDEN CHECKS" not in text
        assert not any("solution" in c.metadata.get("tags", []) for c in nb.cells)


def test_data_note_comes_from_the_printed_lines():
    nb = nbformat.read(ROOT / "notebooks" / "en" / "01_vae_iterative_projection.ipynb", as_version=4)
    code = next(i for i, c in enumerate(nb.cells) if c.cell_type == "code" and 'tell("data_capsule"' in c.source)
    nb.cells[code].outputs = [nbformat.v4.new_output("stream", name="stdout",
                                                     text="loading\ncapsule data: lecture (/x/capsule)\n")]
    page = book_build.page(nb, "en")
    note = page.cells[1].source
    assert "data-source" in note and "- `capsule data: lecture (/x/capsule)`" in note and "loading" not in note
    assert "colab-badge.svg)" in page.cells[0].source and book_build.COLAB_BADGE not in page.cells[0].source


def instructor_notebooks(lang: str) -> list[Path]:
    paths = sorted((ROOT / "notebooks" / "instructor" / lang).glob("*.ipynb"))
    if not paths:
        pytest.skip("the instructor notebooks are kept private (notebooks/build.py --private)")
    return paths


@pytest.mark.parametrize("lang", ["ja", "en"])
def test_pages_show_solutions_without_their_markers_and_no_answer_placeholders(lang):
    for path in instructor_notebooks(lang):
        nb = book_build.source(path, lang, solutions=True)
        shown = book_build.page(nb, lang)
        solutions = [c.source for c in shown.cells if "solution" in c.metadata.get("tags", [])]
        assert solutions and not any(m in s for s in solutions for m in ("BEGIN SOLUTION", "END SOLUTION", "# SOLUTION"))
        code = [line for c in nb.cells if "solution" in c.metadata.get("tags", []) for line in c.source.splitlines()
                if "SOLUTION" not in line]
        assert [line for s in solutions for line in s.splitlines() if line in code] == code, "the code itself is kept"
        placeholders = [c for c in nb.cells if book_build.answer_placeholder(c)]
        assert placeholders, f"{path.name}: the answer cells are no longer recognised"
        text = "\n".join(c.source for c in shown.cells if c.cell_type == "markdown")
        assert "double-click" not in text and "ダブルクリック" not in text
        assert len(shown.cells) == len(book_build.page(nb, lang).cells) == \
               len([c for c in nb.cells if not book_build.hidden(c)]) + 1 - len(placeholders)   # + the data note


def test_solution_marks_go_and_the_code_stays():
    code = "def f(x):\n    # BEGIN SOLUTION\n    y = x + 1  # SOLUTION?\n    return y\n    # END SOLUTION\n\nz = f(1)  # SOLUTION"
    assert book_build.without_solution_marks(code) == "def f(x):\n    y = x + 1  # SOLUTION?\n    return y\n\nz = f(1)"


@pytest.mark.parametrize("lang", ["ja", "en"])
def test_references_are_a_list_one_item_per_reference(lang):
    found = 0
    for path in sorted((ROOT / "notebooks" / lang).glob("*.ipynb")):
        for cell in nbformat.read(path, as_version=4).cells:
            _, heading, refs = cell.source.partition("## References" if lang == "en" else "## 参考文献")
            if cell.cell_type != "markdown" or not heading:
                continue
            items = [line for line in refs.strip().splitlines() if line.strip()]
            assert items and all(re.match(r"- \[\d+\] \S", line) for line in items), items
            assert [int(re.match(r"- \[(\d+)\]", line).group(1)) for line in items] == list(range(1, len(items) + 1))
            found += 1
    assert found == 2, "lectures 1 and 2 end with their references"


def test_every_lecture_title_has_one_pattern():
    titles = [next(line for c in nbformat.read(path, as_version=4).cells if c.cell_type == "markdown"
                   for line in c.source.splitlines() if line.startswith("# "))
              for lang in ("ja", "en") for path in sorted((ROOT / "notebooks" / lang).glob("*.ipynb"))]
    assert len(titles) == 6 and all(re.match(r"# \d\d · \S", t) for t in titles), titles
    assert {t[2:4] for t in titles} == {"00", "01", "02"}


def test_the_japanese_book_says_its_guides_are_in_english():
    for name in book_build.GUIDES:
        title, note = book_build.guide(name, "ja").split("\n\n")[:2]
        assert title.startswith("# ") and "英語だけで書かれています" in note and note.startswith(":::{note}")
        assert book_build.guide(name, "en") == book_build.guide(name)
        assert "英語" not in book_build.guide(name, "en")


def test_the_book_names_its_author():
    spec = importlib.util.spec_from_file_location("book_conf", ROOT / "book" / "conf.py")
    conf = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(conf)
    assert conf.author == book_author() and conf.author and "not set" not in conf.author


def executed(lines: list[str]):
    """A notebook that printed ``lines`` (as the lectures' code prints its data lines)."""
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("print(...)")])
    nb.cells[0].outputs = [nbformat.v4.new_output("stream", name="stdout", text="".join(f"{l}\n" for l in lines))]
    return nb


@pytest.mark.parametrize("lines, why", [
    (["capsule data: synthetic (/d/synthetic_capsule) | digits: mnist"], "capsule data: synthetic"),
    (["capsule data: lecture (/d/lecture/capsule) | digits: bundled"], "digits: bundled"),
    (["data: synthetic (/d/capsule)"], "data: synthetic"),
    (["source: bundled | train (200, 1, 64, 64)"], "source: bundled"),
    (["カプセルのデータ: synthetic（/d/synthetic_capsule） | 数字: mnist"], "カプセルのデータ: synthetic"),
    (["カプセルのデータ: lecture（/d/lecture/capsule） | 数字: bundled"], "数字: bundled"),
    (["データ: bundled | 学習 (200, 1, 64, 64)"], "データ: bundled"),
    ([], "printed no data line"),
])
def test_a_publishing_build_refuses_pages_made_without_the_real_data(monkeypatch, tmp_path, lines, why):
    from jupyter_cache import get_cache
    from jupyter_cache.base import CacheBundleIn
    monkeypatch.setenv("LECTURE_UTILS_DOWNLOAD", "1")
    real, offline, cache = executed(["data: lecture (/d/lecture/capsule)"]), executed(lines), get_cache(tmp_path / "cache")
    offline.cells[0].source, offline.cells[0].execution_count = "print('offline')", 1
    cache.cache_notebook_bundle(CacheBundleIn(offline, "02_anogan"))
    copies = [tmp_path / "en" / "01_vae.ipynb", tmp_path / "ja" / "02_anogan.ipynb"]
    for copy in copies:
        copy.parent.mkdir(exist_ok=True)
        copy.write_text("{}")
    with pytest.raises(SystemExit) as stop:
        book_build.refuse_offline([("en", Path("01_vae.ipynb"), real), ("ja", Path("02_anogan.ipynb"), offline)],
                                  tmp_path, cache)
    message = str(stop.value.code)
    assert "\n" not in message and message.startswith("book: not published: LECTURE_UTILS_DOWNLOAD=1")
    assert "ja/02_anogan" in message and why in message and "1 page(s)" in message
    assert [c.exists() for c in copies] == [True, False], "the refused page is executed again next time"
    with pytest.raises(KeyError):    # ... and not taken from the cache: its downloads are tried again
        cache.match_cache_notebook(offline)


def test_a_build_with_the_real_data_or_without_the_opt_in_goes_on(monkeypatch, tmp_path):
    real = [("en", Path(p), executed([line])) for p, line in [
        ("00.ipynb", "capsule data: lecture (/synthetic/lecture/capsule) | digits: mnist"),
        ("01.ipynb", "data: mvtec (/d/mvtec_capsule/capsule)"), ("02.ipynb", "source: mnist | train (4000, 1, 64, 64)")]]
    monkeypatch.setenv("LECTURE_UTILS_DOWNLOAD", "1")
    assert book_build.refuse_offline(real, tmp_path, None) is None
    monkeypatch.delenv("LECTURE_UTILS_DOWNLOAD")
    assert book_build.refuse_offline([("en", Path("01.ipynb"), executed(["data: synthetic (/d)"]))], tmp_path, None) is None


def test_book_is_built():
    need(MANIFEST is not None, f"the book is not built ({HTML}): run `make book REDUCED=1`")
    assert MANIFEST["languages"] == ["ja", "en"]
    assert MANIFEST["pages"]["ja"] == MANIFEST["pages"]["en"], "every lecture in both languages"
    assert len(MANIFEST["pages"]["en"]) == len(list((ROOT / "notebooks" / "en").glob("*.ipynb")))
    assert MANIFEST["solutions"]["en"] == any((ROOT / "notebooks" / "instructor" / "en").glob("*.ipynb"))
    assert sorted(MANIFEST["guides"]) == sorted(p.stem for p in (ROOT / "docs").glob("*.md")), \
        "every page of docs/ is a page of the book"


def source_text(name: str) -> str:
    """What the Japanese page ``name`` is made from: its notebook, its guide, or the index's template."""
    for path in (ROOT / "notebooks" / "instructor" / "ja" / f"{name}.ipynb", ROOT / "notebooks" / "ja" / f"{name}.ipynb",
                 ROOT / "docs" / f"{name}.md", ROOT / "book" / "build.py"):
        if path.is_file():
            return path.read_text(encoding="utf-8")
    return ""


@pytest.mark.parametrize("lang,name", PAGES)
def test_page_in_the_browser(page, site, lang, name):
    url = f"{site}{lang}/{name}.html"
    page.open(url)
    problems = page.problems(site[:-1])
    assert not problems, "\n".join(problems)
    images = page.js("Promise.all([...document.images].map(i => { i.loading = 'eager'; return i.decode()"
                     ".catch(() => null); })).then(() => [...document.images].map(i => [i.src, i.naturalWidth]))")
    lecture = name in MANIFEST["pages"][lang]
    assert images or not lecture, "a lecture page shows images (the Colab badge, its figures)"
    assert [src for src, width in images if width == 0] == []
    formulas = page.js("[...document.querySelectorAll('.math.notranslate')].map(m => "
                       "!!m.querySelector('.MathJax, .MathJax_Display') && !m.querySelector('.MathJax_Error, merror'))")
    assert all(formulas), f"{formulas.count(False)} of {len(formulas)} formulas not typeset"
    text = page.js("document.querySelector('article').innerText")
    assert not lecture or ("HIDDEN CHECKS" not in text and "hidden_" not in text)   # guides document the marker
    if lang == "ja":   # a line break inside a Japanese paragraph, or a seam of the build, shows as a space
        prose = page.js("[...document.querySelectorAll('article :is(p, li, h1, h2, h3, td, summary)')]"
                        ".filter(e => !e.closest('div.cell, pre, code')).map(e => e.innerText)")
        written = source_text(name)
        stray = [s for text in prose for s in style.stray_spaces(text) if s not in written]
        assert prose and stray == [], f"spaces between Japanese characters that the source does not have: {stray[:5]}"
    byline = page.js("(document.querySelector('.component-author') || {}).innerText")
    assert byline == {"en": "By ", "ja": "著者 "}[lang] + book_author(), byline    # Sphinx's default: "Author name not set"
    wide = page.js("[...document.querySelectorAll('div.cell_output pre')].filter(p => p.offsetParent)"
                   ".filter(p => p.scrollWidth > p.clientWidth + 1).map(p => p.innerText.slice(0, 80))")
    assert wide == [], f"output lines that scroll instead of wrapping: {wide}"
    if name in MANIFEST.get("guides", []):
        assert ("英語だけで書かれています" in text[:600]) == (lang == "ja"), "the ja book says its guides are English"
    SHOTS.mkdir(parents=True, exist_ok=True)
    shot = page.send("Page.captureScreenshot", format="png")["data"]
    (SHOTS / f"{lang}-{name}.png").write_bytes(base64.b64decode(shot))

    if lecture:
        repo, version = PROJECT["tool"]["lecture_utils"]["repository"], PROJECT["project"]["version"]
        colab = page.js("[...document.querySelectorAll('article a')].map(a => a.href)"
                        ".find(h => h.includes('colab.research.google.com'))")
        assert colab == f"https://colab.research.google.com/github/{repo}/blob/v{version}/notebooks/{lang}/{name}.ipynb"
        assert page.js("document.querySelector('article a[href*=\"colab.research\"]').compareDocumentPosition("
                       "document.querySelector('article h1')) & Node.DOCUMENT_POSITION_FOLLOWING"), \
            "the Colab link is at the top, before the title"
        data = page.js("[...document.querySelectorAll('.data-source code')].map(c => c.innerText)")
        assert data and all(book_build.DATA_LINE.fullmatch(line) for line in data), data
        folded = page.js("[...document.querySelectorAll('.tag_solution')].map(c => "
                         "c.querySelector('details') ? c.querySelector('details').open : 'shown')")
        expected = solution_cells(lang, name) if MANIFEST["solutions"][lang] else 0
        assert folded == [False] * expected, "each solution folded, none shown, none missing"
        assert not page.js("[...document.querySelectorAll('details.model-answer')].some(d => d.open)")
        everything = page.js("document.querySelector('article').textContent")   # folded parts too
        assert not [m for m in ("BEGIN SOLUTION", "END SOLUTION", "# SOLUTION") if m in everything]
        assert "double-click" not in everything and "ダブルクリック" not in everything
        assert re.match(r"\d\d · \S", page.js("document.querySelector('article h1').innerText")), "one title pattern"
        refs = page.js("(s => s ? [s.querySelectorAll('li').length, [...s.querySelectorAll('p')].filter(p => "
                       "/^\\[\\d+\\]/.test(p.innerText) && !p.closest('li')).length] : null)([...document.querySelectorAll("
                       "'article section')].find(s => /^(References|参考文献)/.test((s.querySelector('h2') || {}).innerText || '')))")
        assert refs is None or (refs[0] >= 5 and refs[1] == 0), f"references as a list, one item each: {refs}"

    # the switch, from a section in the middle of the page, to the same section of the other language
    ids = page.js(SECTIONS)
    assert ids, "the page has sections"
    k = len(ids) // 2
    page.js(f"location.hash = {ids[k]!r}")
    page.clear()
    page.js("document.getElementById('lang-switch').click()")
    page.wait_for("Page.loadEventFired")
    other = next(code for code in MANIFEST["languages"] if code != lang)
    landed, there = page.js("location.pathname + location.hash"), page.js(SECTIONS)
    assert len(there) == len(ids), "both languages have the same sections"
    assert landed == f"/{other}/{name}.html#{there[k]}"
    assert page.js("(t => t >= -1 && t < innerHeight)(document.getElementById(location.hash.slice(1))"
                   ".getBoundingClientRect().top)"), "the landed section is scrolled into view"
