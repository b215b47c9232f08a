"""The wording rules of the docs, as one fast lint (standard library only; `make test` runs it first).

    python3 tools/lint.py      # one line per problem (FILE: what), exit 1 if there is any

The rules (tests/test_lint.py shows each one catches what it forbids):

- the README stays short (≤ 120 lines), sends readers to docs/{teaching,data,results,contributing}.md
  and links the book at the repository's GitHub Pages address;
- the README and the pages it sends readers to carry no dates, commit hashes or "this machine";
- every run time is stated in one place, docs/results.md's "Run times", once per claim, each with its time;
- the class plan in docs/teaching.md names only sections and exercises the lectures have;
- docs/contributing.md's "Architecture" lists every module of lecture_utils once, and the package's
  size as it states it (lines, files, the algorithms' lines) is true within 3 %.
"""
from __future__ import annotations

import json
import re
import sys
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "lecture_utils"
GUIDES = ("teaching", "data", "results", "contributing")
# a duration: "7 min", "33 min 20 s", "6.5 minutes", "30 s", "2 h" (not "90-minute", "5 %", "0666")
DURATION = re.compile(r"(?<![\w.])\d+(?:\.\d+)?\s?(?:s|sec|seconds?|min|minutes?|h|hours?)(?![\w-])")
DATE = re.compile(r"\b20\d\d-\d\d-\d\d\b")
COMMIT = re.compile(r"\bcommits? [0-9a-f]{7,40}\b|\b(?=[0-9a-f]*\d)(?=[0-9a-f]*[a-f])[0-9a-f]{7,40}\b")
LAB_VOICE = re.compile(r"this (?:development )?machine|this CPU|when this was written", re.I)
ALGORITHMS = ("vae/model.py", "vae/projection.py", "vae/localization.py", "anogan/dcgan.py", "anogan/score.py",
              "anogan/search.py", "metrics.py")


def read(path: Path) -> str:
    return path.read_text(encoding="utf-8")


def section(page: str, title: str) -> str:
    """The text under ``## title`` up to the next ``## `` heading ('' if there is none)."""
    return page.split(f"## {title}", 1)[1].split("\n## ", 1)[0] if f"## {title}" in page else ""


def readme_problems(readme: str, repository: str) -> list[str]:
    owner, name = repository.split("/")
    problems = [f"{len(readme.splitlines())} lines (at most 120)"] if len(readme.splitlines()) > 120 else []
    problems += [f"no link to docs/{g}.md" for g in GUIDES if f"(docs/{g}.md" not in readme]
    return problems + ([] if f"https://{owner}.github.io/{name}/" in readme else ["no link to the book on GitHub Pages"])


def prose_problems(page: str) -> list[str]:
    """Dates, commit hashes and lab voice ("this machine") in a page."""
    return [f"'{found}' (no dates, commits or 'this machine' in prose)"
            for found in DATE.findall(page) + COMMIT.findall(page) + LAB_VOICE.findall(page)]


def run_time_problems(page: str, is_results: bool) -> list[str]:
    """A duration outside docs/results.md's "Run times"; there, a claim stated twice or without its time."""
    times = section(page, "Run times") if is_results else ""
    problems = [f"'{d}': state run times in docs/results.md, 'Run times'" for d in DURATION.findall(page.replace(times, ""))]
    rows = [line for line in times.splitlines() if line.startswith("| ")][1:]   # after the header
    what = [row.split("|")[1].strip() for row in rows]
    problems += [f"run time stated twice: {w[:60]}" for w in sorted(set(what)) if what.count(w) > 1]
    return problems + [f"run time without its measured time: {row[:60]}" for row in rows
                       if not DURATION.search(row.split("|")[-2])]


def referenced(text: str, word: str) -> set[int]:
    """The numbers a class-plan row names after 'section(s)' or 'exercise(s)': 4, '2 and 3', '1–3'."""
    found = set()
    for group in re.findall(rf"\b{word}s? ((?:\d+(?:–\d+)?(?:, | and )?)+)", text):
        for part in re.findall(r"\d+(?:–\d+)?", group):
            lo, _, hi = part.partition("–")
            found |= set(range(int(lo), int(hi or lo) + 1))
    return found


def headings_and_exercises(notebook: dict) -> tuple[set[int], set[int]]:
    """Numbers of the '## N.' sections and of the '**Exercise N' exercises of an (English) notebook."""
    markdown = "\n".join("".join(c["source"]) for c in notebook["cells"] if c["cell_type"] == "markdown")
    return ({int(n) for n in re.findall(r"^## (\d+)\. ", markdown, re.M)},
            {int(n) for n in re.findall(r"\*\*Exercise (\d+) ", markdown)})


def class_plan_problems(teaching: str, notebooks: dict[int, dict]) -> list[str]:
    """Sections and exercises the class plan of lecture N names but its notebook lacks."""
    plan, problems = section(teaching, "Class plan: one 90-minute class per lecture"), []
    for lecture, notebook in notebooks.items():
        rows = plan.split(f"**Lecture {lecture} ", 1)[1].split("**Lecture", 1)[0] if f"**Lecture {lecture} " in plan else ""
        sections, exercises = headings_and_exercises(notebook)
        named_sections, named_exercises = referenced(rows, "section"), referenced(rows, "exercise")
        problems += [f"lecture {lecture}: the class plan names no section or no exercise"] \
            if not (named_sections and named_exercises) else []
        problems += [f"lecture {lecture}: no section {n}" for n in sorted(named_sections - sections)]
        problems += [f"lecture {lecture}: no exercise {n}" for n in sorted(named_exercises - exercises)]
    return problems


def architecture_tree(contributing: str) -> list[str]:
    """Module paths ('vae/train.py') of the code block under "## Architecture": top-level files indented
    by 2 spaces, folders as 'name/' lines, their files by 4."""
    block = re.search(r"```\n(.*?)```", section(contributing, "Architecture"), re.S)
    listed, folder = [], None
    for line in (block.group(1) if block else "").splitlines():
        m = re.match(r"^( +)(\w+)(\.py|/)(\s|$)", line)
        if m and m.group(3) == "/":
            folder = m.group(2)
        elif m:
            listed.append(f"{m.group(2)}.py" if len(m.group(1)) == 2 else f"{folder}/{m.group(2)}.py")
    return listed


def architecture_problems(contributing: str, package: Path) -> list[str]:
    """The Architecture section against the package: each module listed once, the stated sizes true."""
    listed = architecture_tree(contributing)
    files = sorted(p for p in package.rglob("*.py"))
    modules = sorted(str(p.relative_to(package).as_posix()) for p in files if p.stem not in ("__init__", "__main__"))
    problems = [f"Architecture lists {m} twice" for m in sorted(set(listed)) if listed.count(m) > 1]
    problems += [f"Architecture does not list {m}" for m in modules if m not in listed]
    problems += [f"Architecture lists {m}, which is not in the package" for m in sorted(set(listed) - set(modules))]
    total = re.search(r"\*\*([\d,]+) lines in (\d+) files\*\*", contributing)
    algorithms = re.search(r"\*\*algorithms take ([\d,]+) lines\*\*", contributing)
    if not (total and algorithms):
        return problems + ["Architecture states no size of the package"]
    lines = sum(len(read(p).splitlines()) for p in files)
    algorithm_lines = sum(len(read(package / name).splitlines()) for name in ALGORITHMS)
    problems += [f"Architecture says {total[2]} files, the package has {len(files)}"] if int(total[2]) != len(files) else []
    for stated, real, what in ((total[1], lines, "lines"), (algorithms[1], algorithm_lines, "algorithm lines")):
        if abs(int(stated.replace(",", "")) - real) > 0.03 * real:
            problems.append(f"Architecture says {stated} {what}, there are {real:,}")
    return problems + [f"Architecture does not name {name}" for name in ALGORITHMS if f"`{name}`" not in contributing]


def problems() -> list[str]:
    """Every problem in the repository, as 'FILE: what'."""
    readme, docs = ROOT / "README.md", ROOT / "docs"
    pages = [readme, *sorted(docs.glob("*.md")), ROOT / "book" / "README.md"]
    repository = tomllib.loads(read(ROOT / "pyproject.toml"))["tool"]["lecture_utils"]["repository"]
    found = [("README.md", p) for p in readme_problems(read(readme), repository)]
    for page in pages:
        name = str(page.relative_to(ROOT))
        found += [(name, p) for p in prose_problems(read(page)) + run_time_problems(read(page), page.name == "results.md")]
    notebooks = {n: json.loads(read(ROOT / "notebooks" / "en" / f"{name}.ipynb"))
                 for n, name in ((1, "01_vae_iterative_projection"), (2, "02_anogan"))}
    found += [("docs/teaching.md", p) for p in class_plan_problems(read(docs / "teaching.md"), notebooks)]
    found += [("docs/contributing.md", p) for p in architecture_problems(read(docs / "contributing.md"), PACKAGE)]
    return [f"{name}: {problem}" for name, problem in found]


def main() -> int:
    found = problems()
    for line in found:
        print(f"lint: {line}", file=sys.stderr)
    print(f"lint: {len(found)} problem(s)" if found else "lint: the docs follow their rules", file=sys.stderr)
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main())
