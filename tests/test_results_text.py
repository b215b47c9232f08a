"""Words match the numbers on every data source (issue 18).

A result number in a lecture's markdown is never this run's (the prose cannot know what a run on
other data or in the reduced settings prints): it is labelled with its data set and the file that
holds it, and the data-dependent verdicts are printed by a cell from this run's own numbers, in the
words of ``metrics.versus`` (ahead / behind / level). The checkers of those printed verdicts
(tests/verdicts.py) are shown here to catch each kind of contradiction; tests/test_executed.py
applies them to the lectures as the book's build executed them (offline data), and to executions
on the real data (``make test-real-data``).

**The rule** (``unlabelled_results``), per markdown paragraph (blocks between blank lines; a table
belongs to the paragraph just before it, its caption), after fenced code, inline code and math are
blanked out:

- a *result number* is a decimal (``0.878``, ``0.62``) or a percentage (``12 %``), except
  - a *setting or identity*: a number after ``SYMBOL =`` (or ``≤ ≥ < > ≈``) where SYMBOL is one
    letter (Latin or Greek), a math span, inline code or a digit: ``α = 0.5``, ``$\\sigma$ = 4``,
    ``2 ln 2 ≈ 1.4``; ``AUROC = 0.62`` is not one (a word is no symbol);
  - a *definition*: a number followed by ``=`` (``0.5 = chance``);
  - a *confidence level*: a percentage followed within three words by "interval" / 区間;
  - an *operating point*: a percentage in a paragraph about a threshold (threshold, false-positive,
    percentile, しきい値, 偽陽性, パーセンタイル): ``a 5 % false-positive rate``.
- a paragraph with a result number must name a source file (``docs/results.md``,
  ``RESULTS_vae.md``, ``RESULTS_anogan.md``) **and** a data set (real / synthetic capsule, MNIST,
  the bundled digits; in Japanese カプセルの実データ, 合成カプセル, MNIST, 同梱).

Not caught: integers ("17 times", "4,000 images"), and a percentage result inside a paragraph about
a threshold. ``tests/test_lecture_text.py`` checks, per cell, that every decimal is in the file cited.
"""
import json
import re
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "notebooks"))
import build  # noqa: E402

from lecture_utils.metrics import versus  # noqa: E402
from lecture_utils.vae.evaluate import MethodResult, comparison_table, verdict_lines  # noqa: E402
from verdicts import contradictions, lecture_2_contradictions  # noqa: E402

NAMES = sorted(p.stem for p in (ROOT / "notebooks" / "src").glob("*.py"))
SOURCE_FILES = ("docs/results.md", "RESULTS_vae.md", "RESULTS_anogan.md")
DATA_SETS = re.compile(r"real (?:MVTec AD )?capsule|synthetic capsule|MNIST|bundled digits|"
                       r"カプセルの実データ|合成カプセル|同梱")   # the names of docs/contributing.md, "Japanese style"
PERCENT = re.compile(r"(?<![0-9A-Za-z_.])\d+(?:\.\d+)?\s?%")
DECIMAL = re.compile(r"(?<![0-9A-Za-z_.])\d+\.\d+(?![0-9A-Za-z_]|\.\d)")
SETTING = re.compile(r"(?:(?<![A-Za-z])[A-Za-z]|[α-ωΑ-Ω]|SYM|CODE|\d)\s*(?:=|≤|≥|<|>|≈)\s*[±~−-]?\s*$")
DEFINITION = re.compile(r"^\s*=")
LEVEL = re.compile(r"^\s*(?:\S+\s+){0,3}?(?:interval|区間)")
THRESHOLD = re.compile(r"threshold|false-positive|percentile|しきい値|偽陽性|パーセンタイル", re.I)


def paragraphs(markdown: str) -> list[str]:
    """Blank-line separated blocks of one markdown cell, fenced code removed; a table joins the
    block before it (its caption)."""
    blocks = []
    for block in re.sub(r"```.*?```", "", markdown, flags=re.S).split("\n\n"):
        if block.strip().startswith("|") and blocks:
            blocks[-1] += "\n" + block
        elif block.strip():
            blocks.append(block)
    return blocks


def result_numbers(paragraph: str) -> list[str]:
    """The result numbers of one paragraph (see the module docstring)."""
    text = re.sub(r"\$\$.*?\$\$|\$[^$]*\$", " SYM ", paragraph, flags=re.S)
    text = re.sub(r"`[^`]*`", " CODE ", text)
    found = []
    for pattern in (PERCENT, DECIMAL):
        for m in pattern.finditer(text):
            before, after = text[:m.start()], text[m.end():]
            if SETTING.search(before) or DEFINITION.match(after):
                continue
            if pattern is PERCENT and (LEVEL.match(after) or THRESHOLD.search(text)):
                continue
            if pattern is DECIMAL and re.match(r"\s?%", after):
                continue
            found.append((m.start(), m.group().replace(" ", "")))
    return [number for _, number in sorted(found)]


def labelled(paragraph: str) -> bool:
    return any(f in paragraph for f in SOURCE_FILES) and bool(DATA_SETS.search(paragraph))


def unlabelled_results(markdown: str) -> dict:
    """{paragraph start: its result numbers} for each paragraph of ``markdown`` that states a
    result without naming its data set and source file."""
    return {p.strip()[:90]: nums for p in paragraphs(markdown) if (nums := result_numbers(p)) and not labelled(p)}


def markdown_cells(lang: str, name: str) -> list[str]:
    nb = json.loads((ROOT / "notebooks" / lang / f"{name}.ipynb").read_text(encoding="utf-8"))
    return ["".join(c["source"]) for c in nb["cells"] if c["cell_type"] == "markdown"]


def test_the_rule_flags_a_bare_result_and_passes_settings_and_labelled_figures():
    assert unlabelled_results("The image AUROC is only 0.62 here.") == {"The image AUROC is only 0.62 here.": ["0.62"]}
    assert list(unlabelled_results("image AUROC = 0.62, 12 % better").values()) == [["0.62", "12%"]]
    assert list(unlabelled_results("画像 AUROC は 0.62〜0.67 にとどまり、1.5倍です。").values()) == [["0.62", "0.67", "1.5"]]
    # a file without a data set, or a data set without a file, is not a label
    assert unlabelled_results("image AUROC 0.62 (`docs/results.md`)")
    assert unlabelled_results("on the real capsule the image AUROC is 0.62")
    assert unlabelled_results("実物のカプセルでは 0.62 でした（`docs/results.md`）。")   # not the glossary's name
    for fine in ("On the real capsule (`docs/results.md`): image AUROC 0.62.",
                 "合成カプセルでは 0.83 から 0.66 へ下がりました（`benchmarks/RESULTS_vae.md`）。",
                 "カプセルの実データでは 0.620 に対して 0.673 でした（`benchmarks/RESULTS_vae.md`）。",
                 "with α = 0.5, λ = 0.05 and $\\sigma$ = 4 px, `lam=0.05`; 2 ln 2 ≈ 1.4",
                 "1.0 = perfect, 0.5 = chance; a 95 % interval, 95 % paired bootstrap interval",
                 "choose a threshold so that 1 % of good images exceed it",
                 "```\nauroc = 0.62\n```"):
        assert unlabelled_results(fine) == {}, fine


def test_a_table_takes_the_label_of_its_caption():
    table = "| augmentation | MSE |\n|---|---|\n| none | 0.0012 |"
    assert unlabelled_results(f"Measured on the real capsule (`benchmarks/RESULTS_vae.md`):\n\n{table}") == {}
    assert list(unlabelled_results(f"Measured here:\n\n{table}").values()) == [["0.0012"]]


@pytest.mark.parametrize("lang", build.LANGS)
@pytest.mark.parametrize("name", NAMES)
def test_every_stated_result_names_its_data_set_and_source(name, lang):
    bad = {k: v for cell in markdown_cells(lang, name) for k, v in unlabelled_results(cell).items()}
    assert not bad, f"label these results with their data set and source file (or print them): {bad}"


# --- the verdict lines of lecture 1 and the table they are printed under --------------------------------

def _result(image, pixel, n_defective=2):
    return MethodResult(target=None, maps=None, scores=[0.0] * (n_defective + 2), image_auroc=image,
                        pixel_auroc=pixel, per_defect={"crack": {"n": n_defective}}, seconds=1.0)


def test_the_verdict_says_ahead_when_the_projection_is_ahead_and_behind_when_behind():
    ahead = {"residual": _result(0.70, 0.880), "kl": _result(0.78, 0.910), "lecture": _result(0.70, 0.882)}
    lines = verdict_lines(ahead, "capsule: synthetic, seed 1 (offline)")
    assert lines[0].startswith("this run: capsule: synthetic, seed 1 (offline), 4 test images (2 defective)")
    assert "pixel AUROC 0.910 - 0.880 = +0.030 (ahead)" in lines[1] and "image AUROC 0.780 - 0.700 = +0.080 (ahead)" in lines[1]
    assert lines[2].startswith("lecture vs residual") and "(level)" in lines[2]   # +0.002: within TIE
    assert lines[3].startswith("image score: best image AUROC 0.780 (kl): usable")
    behind = {"residual": _result(0.66, 0.928), "kl": _result(0.62, 0.905)}
    lines = verdict_lines(behind, "capsule: real, the lecture's archive")
    assert "pixel AUROC 0.905 - 0.928 = -0.023 (behind)" in lines[1] and "-0.040 (behind)" in lines[1]
    assert lines[-1].startswith("image score: best image AUROC 0.660 (residual): weak") and len(lines) == 3
    assert all(line.isascii() for line in lines)
    assert contradictions(comparison_table(ahead), "\n".join(verdict_lines(ahead, "x"))) == []


def test_missing_aurocs_are_not_compared():
    lines = verdict_lines({"residual": _result(None, None), "kl": _result(None, None)}, "my folder")
    assert lines[1] == "kl vs residual: pixel AUROC n/a; image AUROC n/a" and len(lines) == 2


def test_a_verdict_the_table_contradicts_is_caught():
    table = comparison_table({"residual": _result(0.70, 0.880), "kl": _result(0.78, 0.910)})
    good = "kl vs residual: pixel AUROC 0.910 - 0.880 = +0.030 (ahead); image AUROC 0.780 - 0.700 = +0.080 (ahead)"
    assert contradictions(table, good) == []
    for wrong in (good.replace("(ahead);", "(behind);"), good.replace("0.910 - 0.880", "0.930 - 0.880"), "nothing"):
        assert contradictions(table, wrong), wrong
    assert contradictions(table, "image score: best image AUROC 0.780 (kl): strong (") != []


# --- lecture 2's verdict lines and the numbers printed before them ---------------------------------------

def _lecture_2_text(search=0.871, encoder=0.998, refined=0.997, quoted=None, source="bundled") -> str:
    """Notebook 02's lines as it prints them; the verdict quotes the AUROCs ``quoted`` gives instead."""
    said = {"search": search, "encoder": encoder, "encoder+search": refined} | (quoted or {})
    return "\n".join([
        "source: bundled | train (193, 1, 64, 64) | held-out normal 40 | test 100 (50 anomalies)",
        "searched 100 images x 10 steps in 12.3 s (8.1 images/s)",
        f"AUROC  A(x): {search:.3f} | residual only: 0.860 | discrimination only: 0.702",
        f"encoder: AUROC {encoder:.3f} in 0.05 s (246x faster than the search)",
        f"E(x) + 5 search steps: AUROC {refined:.3f} in 6.2 s",
        f"this run: {source} digits, 100 test images (50 anomalies), 10-step search; one test set, no interval",
        *(f"{m} vs search: image AUROC {versus(said[m], said['search'])}" for m in ("encoder", "encoder+search")),
        "reference, real MNIST, full settings (docs/results.md): 50-step search 0.878, encoder 0.967"])


def test_a_lecture_2_verdict_the_printed_numbers_contradict_is_caught():
    good = _lecture_2_text()
    assert lecture_2_contradictions(good) == []
    assert lecture_2_contradictions(_lecture_2_text(refined=0.873)) == []      # +0.002: level
    wrong = {"ahead called behind": good.replace("(ahead)", "(behind)", 1),
             "a tie called ahead": _lecture_2_text(refined=0.873).replace("(level)", "(ahead)"),
             "an AUROC the verdict misquotes": _lecture_2_text(quoted={"search": 0.881}),
             "other data": _lecture_2_text(source="mnist"),
             "another count": good.replace("100 test images (50", "200 test images (50"),
             "a speed-up the times deny": good.replace("246x", "24x"),
             "slower, not faster": good.replace("in 0.05 s", "in 20.00 s"),
             "a reference not in the file cited": good.replace("encoder 0.967", "encoder 0.971"),
             "no verdict": "\n".join(line for line in good.splitlines() if " vs " not in line)}
    for what, text in wrong.items():
        assert lecture_2_contradictions(text), what
    assert lecture_2_contradictions(_lecture_2_text(quoted={"encoder": 0.990})) == [
        "encoder vs search: image AUROC 0.990 - 0.871 = +0.119 (ahead)"]
