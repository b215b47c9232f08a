"""The README and the pages it sends readers to (docs/*.md, book/README.md): a short README, no dates,
commit hashes or "this machine" in prose, every run time stated in one place (docs/results.md, "Run
times"), one figure per claim there, and a class plan whose sections and exercises exist."""
import json
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
README = ROOT / "README.md"
PAGES = [README, *sorted((ROOT / "docs").glob("*.md")), ROOT / "book" / "README.md"]
RESULTS = ROOT / "docs" / "results.md"
# a duration: "7 min", "33 min 20 s", "6.5 minutes", "30 s", "2 h" (not "90-minute", "5 %", "0666")
DURATION = re.compile(r"(?<![\w.])\d+(?:\.\d+)?\s?(?:s|sec|seconds?|min|minutes?|h|hours?)(?![\w-])")
DATE = re.compile(r"\b20\d\d-\d\d-\d\d\b")
COMMIT = re.compile(r"\bcommits? [0-9a-f]{7,40}\b|\b(?=[0-9a-f]*\d)(?=[0-9a-f]*[a-f])[0-9a-f]{7,40}\b")
LAB_VOICE = re.compile(r"this (?:development )?machine|this CPU|when this was written", re.I)


def text(path: Path) -> str:
    return path.read_text(encoding="utf-8")


def section(page: str, title: str) -> str:
    return page.split(f"## {title}", 1)[1].split("\n## ", 1)[0]


def run_times() -> str:
    return section(text(RESULTS), "Run times")


def test_the_readme_is_short_and_sends_readers_on():
    readme = text(README)
    assert len(readme.splitlines()) <= 120
    for page in ("teaching", "data", "results", "contributing"):
        assert f"(docs/{page}.md" in readme and (ROOT / "docs" / f"{page}.md").is_file(), page


@pytest.mark.parametrize("path", PAGES, ids=lambda p: str(p.relative_to(ROOT)))
def test_prose_has_no_dates_commits_or_lab_voice(path):
    page = text(path)
    found = DATE.findall(page) + COMMIT.findall(page) + LAB_VOICE.findall(page)
    assert not found, f"{path.name}: {found}"


@pytest.mark.parametrize("path", PAGES, ids=lambda p: str(p.relative_to(ROOT)))
def test_every_run_time_is_stated_in_one_place(path):
    page = text(path).replace(run_times(), "") if path == RESULTS else text(path)
    assert not DURATION.findall(page), f"{path.name}: state run times in docs/results.md, 'Run times'"


def test_the_checks_above_catch_what_they_forbid():
    assert DURATION.findall("make test takes about 7 min (33 min 20 s) or 6.5 minutes") == ["7 min", "33 min", "20 s",
                                                                                           "6.5 minutes"]
    assert not DURATION.findall("a 90-minute class, 5 %, umask 0666, --timeout 60, 128-pixel")
    assert DATE.findall("measured 2026-11-24") and COMMIT.findall("(commit a87ffd0)") and COMMIT.findall("at b6cc06e")
    assert not COMMIT.findall("the decade 1234567, a word like defaced") and LAB_VOICE.findall("on this machine")


def test_one_figure_per_claim_in_the_run_times():
    rows = [line for line in run_times().splitlines() if line.startswith("| ")][1:]   # after the header
    what = [row.split("|")[1].strip() for row in rows]
    assert what and len(what) == len(set(what)), "a run time stated twice"
    assert all(DURATION.search(row.split("|")[-2]) for row in rows), "a row without its measured time"


def headings_and_exercises(name: str) -> tuple[set[int], set[int]]:
    """Numbers of the '## N.' sections and of the exercises of lecture ``name`` (the en student notebook)."""
    nb = json.loads(text(ROOT / "notebooks" / "en" / f"{name}.ipynb"))
    markdown = "\n".join("".join(c["source"]) for c in nb["cells"] if c["cell_type"] == "markdown")
    return ({int(n) for n in re.findall(r"^## (\d+)\. ", markdown, re.M)},
            {int(n) for n in re.findall(r"\*\*Exercise (\d+) ", markdown)})


def referenced(cells: str, word: str) -> set[int]:
    """The numbers a class-plan row names after 'section(s)' or 'exercise(s)': 4, '2 and 3', '1–3'."""
    found = set()
    for group in re.findall(rf"\b{word}s? ((?:\d+(?:–\d+)?(?:, | and )?)+)", cells):
        for part in re.findall(r"\d+(?:–\d+)?", group):
            lo, _, hi = part.partition("–")
            found |= set(range(int(lo), int(hi or lo) + 1))
    return found


@pytest.mark.parametrize("lecture, name", [(1, "01_vae_iterative_projection"), (2, "02_anogan")])
def test_the_class_plan_names_sections_and_exercises_that_exist(lecture, name):
    plan = section(text(ROOT / "docs" / "teaching.md"), "Class plan: one 90-minute class per lecture")
    table = plan.split(f"**Lecture {lecture} ", 1)[1].split("**Lecture", 1)[0]
    sections, exercises = headings_and_exercises(name)
    named_sections, named_exercises = referenced(table, "section"), referenced(table, "exercise")
    assert named_sections and named_exercises
    assert named_sections <= sections, f"lecture {lecture}: no section {sorted(named_sections - sections)}"
    assert named_exercises <= exercises, f"lecture {lecture}: no exercise {sorted(named_exercises - exercises)}"


def test_the_class_plan_check_catches_a_missing_exercise():
    assert referenced("| 75–90 | x | exercise 4 | exercises 1–3 are homework; section 8 and 10 |", "exercise") == {1, 2, 3, 4}
    assert referenced("sections 2 and 3, sections 6 and 7", "section") == {2, 3, 6, 7}
    assert 7 not in headings_and_exercises("01_vae_iterative_projection")[1]


def test_the_book_link_is_the_repositorys_pages():
    import tomllib
    owner, name = tomllib.loads(text(ROOT / "pyproject.toml"))["tool"]["lecture_utils"]["repository"].split("/")
    assert f"https://{owner}.github.io/{name}/" in text(README)
