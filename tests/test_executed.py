"""What the lectures printed and drew when they ran: read from executed notebooks, never by running
them again. By default the book's build (``make test-book``: the instructor notebooks, ja and en,
executed once with their hidden checks, build/book/executed/); ``EXECUTED_NOTEBOOKS=DIR`` points at
other executions, e.g. ``make test-real-data`` (the English notebooks on the real data).

- lecture 1's verdict lines agree with the table printed above them and name the data the run used;
- lecture 2's verdict lines agree with the AUROCs, counts and times printed before them;
- every progress bar was saved as one line at 100 %, and every explorer drew its figure once, without an error;
- a Japanese notebook printed no English sentence (the catalogue's lines or any other).
"""
import json
import os
import re
from pathlib import Path

import pytest

from conftest import needs
from outputs import BAR, bar_problems, english_in, english_sentences, text_of
from verdicts import contradictions, lecture_2_contradictions

ROOT = Path(__file__).resolve().parent.parent
EXECUTED = Path(os.environ.get("EXECUTED_NOTEBOOKS") or ROOT / "build" / "book" / "executed")
REQUIRED = os.environ.get("BOOK_REQUIRED") == "1"   # make test-book: the executions must be there
NOTEBOOKS = sorted(EXECUTED.glob("*/*.ipynb"))


def need(ok: bool, what: str) -> None:
    """``needs``, and a failure under make test-book, whose build must have executed everything."""
    if REQUIRED and not ok:
        pytest.fail(what)
    needs(ok, what)


def executed(lang: str, name: str) -> list[dict]:
    """The code cells of ``EXECUTED/lang/name.ipynb`` (skipped where it was not executed)."""
    path = EXECUTED / lang / f"{name}.ipynb"
    need(path.is_file(), f"not executed: {path} (make test-book executes it)")
    return [c for c in json.loads(path.read_text(encoding="utf-8"))["cells"] if c["cell_type"] == "code"]


def source(cell) -> str:
    return "".join(cell["source"])


def printed(cell) -> str:
    """What a code cell printed (stdout and stderr)."""
    return "".join("".join(o["text"]) for o in cell.get("outputs", []) if o.get("output_type") == "stream")


def up_to(cells: list[dict], marker: str) -> list[dict]:
    """The cells up to and including the first one whose source holds ``marker``."""
    last = next(i for i, c in enumerate(cells) if marker in source(c))
    return cells[:last + 1]


# --- lecture 1: the verdict lines against the table above them ---------------------------------------

RUN_LABEL = {"synthetic": "capsule: synthetic", "lecture": "capsule: real", "mvtec": "capsule: real",
             "env": "capsule: the folder in"}


def test_lecture_1s_printed_verdicts_agree_with_its_printed_table():
    cells = up_to(executed("en", "01_vae_iterative_projection"), "verdict_lines(")
    table = next(printed(c) for c in cells if "print(comparison_table(results))" in source(c))
    verdict, text = printed(cells[-1]), "".join(map(printed, cells))
    data = re.search(r"^capsule data: (\w+) \(", text, re.M)
    assert data, "no 'capsule data:' line"
    assert f"this run: {RUN_LABEL[data[1]]}" in verdict, (data[0], verdict)
    assert contradictions(table, verdict) == [], (table, verdict)


# --- lecture 2: the verdict lines against the numbers printed in sections 1 to 6 ------------------------

def test_lecture_2s_printed_verdicts_agree_with_its_printed_aurocs():
    text = "".join(map(printed, up_to(executed("en", "02_anogan"), "versus(")))
    assert lecture_2_contradictions(text) == [], text


# --- every execution: progress bars saved as one finished line, explorers drawn once, Japanese lines ------

@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: f"{p.parent.name}/{p.stem}")
def test_every_progress_bar_was_saved_as_one_finished_line(path):
    cells = executed(path.parent.name, path.stem)
    bad = {i: problems for i, c in enumerate(cells) if (problems := bar_problems(c.get("outputs", [])))}
    assert not bad, bad
    if path.stem != "00_datasets":   # lectures 1 and 2 always project or search (00 draws one only when it generates)
        bars = [o for c in cells for o in c.get("outputs", []) if BAR.match(text_of(o).strip())]
        assert bars, "no progress bar found: the check would pass on anything"


@pytest.mark.parametrize("path", [p for p in NOTEBOOKS if p.stem != "00_datasets"], ids=lambda p: f"{p.parent.name}/{p.stem}")
def test_every_explorer_drew_its_figure_once(path):
    explorers = [cell for cell in executed(path.parent.name, path.stem) if "_explorer(" in source(cell)]
    assert explorers, "no explorer found: the check would pass on anything"   # lecture 0 has none
    for cell in explorers:
        kinds = [o["output_type"] for o in cell["outputs"]]
        images = [o for o in cell["outputs"] if "image/png" in o.get("data", {})]
        assert "error" not in kinds and len(images) == 1, (source(cell)[:60], kinds)


@pytest.mark.parametrize("path", [p for p in NOTEBOOKS if p.parent.name == "ja"], ids=lambda p: p.stem)
def test_a_japanese_notebook_printed_no_english_sentence(path):
    """The instructor notebooks' outputs, as nbval checks the student notebooks' (notebooks/conftest.py)."""
    text = "\n".join(text_of(o) + "".join(o.get("evalue", "")) for c in executed("ja", path.stem) for o in c.get("outputs", []))
    assert not english_in(text) and not english_sentences(text), (english_in(text), english_sentences(text))


def test_the_executions_are_there():
    """Under make test-book every lecture was executed in both languages (no check above skips)."""
    names = sorted(p.stem for p in (ROOT / "notebooks" / "src").glob("*.py"))
    langs = ("ja", "en") if "EXECUTED_NOTEBOOKS" not in os.environ else sorted({p.parent.name for p in NOTEBOOKS})
    missing = [f"{lang}/{n}" for lang in langs for n in names if not (EXECUTED / lang / f"{n}.ipynb").is_file()]
    need(not missing, f"not executed: {missing} under {EXECUTED}")
