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
    code = next(i for i, c in enumerate(nb.cells) if c.cell_type == "code" and "print(f\"data:" in c.source)
    nb.cells[code].outputs = [nbformat.v4.new_output("stream", name="stdout", text="loading\ndata: lecture (/x/capsule)\n")]
    page = book_build.page(nb, "en")
    note = page.cells[1].source
    assert "data-source" in note and "- `data: lecture (/x/capsule)`" in note and "loading" not in note
    assert "colab-badge.svg)" in page.cells[0].source and book_build.COLAB_BADGE not in page.cells[0].source


def test_book_is_built():
    need(MANIFEST is not None, f"the book is not built ({HTML}): run `make book REDUCED=1`")
    assert MANIFEST["languages"] == ["ja", "en"]
    assert MANIFEST["pages"]["ja"] == MANIFEST["pages"]["en"], "every lecture in both languages"
    assert len(MANIFEST["pages"]["en"]) == len(list((ROOT / "notebooks" / "en").glob("*.ipynb")))
    assert MANIFEST["solutions"]["en"] == any((ROOT / "notebooks" / "instructor" / "en").glob("*.ipynb"))
    assert sorted(MANIFEST["guides"]) == sorted(p.stem for p in (ROOT / "docs").glob("*.md")), \
        "every page of docs/ is a page of the book"


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
        assert data and all(re.match(r"(capsule data|data|source): \S", line) for line in data), data
        folded = page.js("[...document.querySelectorAll('.tag_solution')].map(c => "
                         "c.querySelector('details') ? c.querySelector('details').open : 'shown')")
        expected = solution_cells(lang, name) if MANIFEST["solutions"][lang] else 0
        assert folded == [False] * expected, "each solution folded, none shown, none missing"
        assert not page.js("[...document.querySelectorAll('details.model-answer')].some(d => d.open)")
        if not MANIFEST["solutions"][lang]:
            assert "BEGIN SOLUTION" not in text

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
