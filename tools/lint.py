"""The wording rules of the docs and the lectures, as one fast lint (`make test` and `make test-quick`
run it first, in .venv: notebooks/style.py renders markdown with markdown-it, a dev dependency).

    .venv/bin/python tools/lint.py      # one line per problem (FILE: what), exit 1 if there is any

The rules (tests/test_lint.py shows each one catches what it forbids). The docs:

- the README stays short (≤ 120 lines), sends readers to docs/{teaching,data,results,contributing}.md
  and links the book at the repository's GitHub Pages address;
- the README and the pages it sends readers to carry no dates, commit hashes or "this machine";
- every run time is stated in one place, docs/results.md's "Run times", once per claim, each with its time;
- the class plan in docs/teaching.md names only sections and exercises the lectures have;
- docs/contributing.md's "Architecture" lists every module of lecture_utils once, and the package's
  size as it states it (lines, files, the algorithms' lines) is true within 3 %.

The lectures (the built student notebooks, notebooks/{ja,en}):

- a result stated in markdown names its data set and the file that holds it (`unlabelled_results`:
  this run's numbers are printed by the run, never written in the prose);
- every decimal in markdown is a parameter of the code, a figure of the file the cell cites, or a
  definition (`unsourced_numbers`);
- no code cell shows its line or figure twice (a last call to `plots.`/`viz.` without ``;``);
- the Japanese follows one style (notebooks/style.py: its sources, the built cells, and the Japanese
  lines of the package's message catalogue), the glossary in docs/contributing.md lists every term,
  and 異常スコア（異常度） introduces both words.
"""
from __future__ import annotations

import ast
import json
import re
import string
import sys
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT / "notebooks"), str(ROOT)]
import style  # noqa: E402  (notebooks/style.py: the Japanese style)

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


# ---- the lectures --------------------------------------------------------------------------------

# a result stated in prose names its data set and its source file (the names of docs/contributing.md)
SOURCE_FILES = ("docs/results.md", "RESULTS_vae.md", "RESULTS_anogan.md")
DATA_SETS = re.compile(r"real (?:MVTec AD )?capsule|synthetic capsule|MNIST|bundled digits|"
                       r"カプセルの実データ|合成カプセル|同梱")
PERCENT = re.compile(r"(?<![0-9A-Za-z_.])\d+(?:\.\d+)?\s?%")
RESULT_DECIMAL = re.compile(r"(?<![0-9A-Za-z_.])\d+\.\d+(?![0-9A-Za-z_]|\.\d)")
# not results: a setting (SYMBOL = 0.5, where SYMBOL is one letter, math, code or a digit), a definition
# (0.5 = chance), a confidence level (95 % interval), an operating point (in a paragraph about a threshold)
SETTING = re.compile(r"(?:(?<![A-Za-z])[A-Za-z]|[α-ωΑ-Ω]|SYM|CODE|\d)\s*(?:=|≤|≥|<|>|≈)\s*[±~−-]?\s*$")
DEFINITION = re.compile(r"^\s*=")
LEVEL = re.compile(r"^\s*(?:\S+\s+){0,3}?(?:interval|区間)")
THRESHOLD = re.compile(r"threshold|false-positive|percentile|しきい値|偽陽性|パーセンタイル", re.I)
DECIMAL = RESULT_DECIMAL   # the decimals a markdown cell may quote only with their source: 0.968, 1.5倍
CITABLE = {"docs/results.md": ROOT / "docs" / "results.md", "RESULTS_vae.md": ROOT / "benchmarks" / "RESULTS_vae.md",
           "RESULTS_anogan.md": ROOT / "benchmarks" / "RESULTS_anogan.md"}
CONSTANTS = {"0.5": "AUROC of chance", "1.0": "AUROC of a perfect detector", "1.4": "2 ln 2, arithmetic"}
FIGURE_MODULES = {"plots", "viz"}   # their calls return the figure they already showed
TITLE = "繰り返し処理による異常検知"   # the original lecture's name, quoted as is


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
    """The decimals and percentages of a paragraph that state a result (not settings, definitions,
    confidence levels or operating points)."""
    text = re.sub(r"\$\$.*?\$\$|\$[^$]*\$", " SYM ", paragraph, flags=re.S)
    text = re.sub(r"`[^`]*`", " CODE ", text)
    found = []
    for pattern in (PERCENT, RESULT_DECIMAL):
        for m in pattern.finditer(text):
            before, after = text[:m.start()], text[m.end():]
            if SETTING.search(before) or DEFINITION.match(after):
                continue
            if pattern is PERCENT and (LEVEL.match(after) or THRESHOLD.search(text)):
                continue
            if pattern is RESULT_DECIMAL and re.match(r"\s?%", after):
                continue
            found.append((m.start(), m.group().replace(" ", "")))
    return [number for _, number in sorted(found)]


def unlabelled_results(markdown: str) -> dict:
    """{paragraph start: its result numbers} for each paragraph of ``markdown`` that states a result
    without naming both its data set and its source file."""
    labelled = lambda p: any(f in p for f in SOURCE_FILES) and bool(DATA_SETS.search(p))  # noqa: E731
    return {p.strip()[:90]: nums for p in paragraphs(markdown) if (nums := result_numbers(p)) and not labelled(p)}


def unsourced_numbers(markdown: str, code: str, package: str) -> list[str]:
    """Decimals of one markdown cell found neither in the notebook's ``code`` (a parameter), nor in
    the ``package``'s code, nor in a file the cell cites, nor among the definitional CONSTANTS."""
    cited = " ".join(read(path) for key, path in CITABLE.items() if key in markdown)
    found = lambda n: re.search(rf"(?<![\w.]){re.escape(n)}", cited + " " + code + " " + package)  # noqa: E731
    return [n for n in DECIMAL.findall(markdown) if n not in CONSTANTS and not found(n)]


# a heading with text on its very next line (renders the same, but a checker of Japanese line breaks
# reads the two as one sentence, and every other heading has its blank line)
HEADING_THEN_TEXT = re.compile(r"^#{1,6} [^\n]*\n(?=[^\n])", re.M)


def headings_without_blank_line(markdown: str) -> list[str]:
    """Each heading of ``markdown`` (outside fenced code) followed directly by a line of text."""
    return [m.group(0).strip() for m in HEADING_THEN_TEXT.finditer(re.sub(r"```.*?```", "", markdown, flags=re.S))]


def shows_twice(source: str) -> bool:
    """True if a code cell's last statement is a bare ``plots.``/``viz.`` call that returns what it
    showed, without the ``;`` that keeps IPython from displaying the value again."""
    try:
        body = ast.parse(source).body
    except SyntaxError:
        return False
    last = body[-1] if body else None
    if not (isinstance(last, ast.Expr) and isinstance(last.value, ast.Call)):
        return False
    f = last.value.func
    if (getattr(f.value, "id", "") if isinstance(f, ast.Attribute) else "") not in FIGURE_MODULES:
        return False
    return not source.splitlines()[last.end_lineno - 1][last.end_col_offset:].lstrip().startswith(";")


def introduces_anomaly_degree(japanese: str) -> bool:
    """異常スコア（異常度）: both words at the first use of either (bold marks aside)."""
    text = japanese.replace("**", "")
    if "異常スコア" not in text and "異常度" not in text:
        return True
    both = "異常スコア（異常度）"
    return both in text and text.index(both) <= text.index("異常度") - len("異常スコア（")


class _Three(dict):
    """Every field of a message is the number 3 (what a counter follows)."""
    def __missing__(self, key):
        return 3


def japanese_catalogue() -> dict[str, str]:
    """Every Japanese line of the package's message catalogue, its fields filled in (with 3)."""
    from lecture_utils.messages import MESSAGES
    return {key: string.Formatter().vformat(m["ja"].replace(":.0f", ""), (), _Three()) for key, m in MESSAGES.items()}


def catalogue_problems() -> list[tuple[str, str]]:
    """The Japanese of the package: its source lines (punctuation, the glossary's terms) and every
    Japanese line of its message catalogue, fields filled in, in house style."""
    variants = [v for v in style.VARIANTS if not v.isascii()]
    found = []
    for path in sorted(PACKAGE.rglob("*.py")):
        for i, line in enumerate(read(path).splitlines(), 1):
            where = f"{path.relative_to(PACKAGE.parent)}:{i}"
            found += [(where, "use 、。 instead of ，．")] if set(line) & set(style.PUNCTUATION) else []
            found += [(where, f"the glossary's term for {v}") for v in variants if v in line.replace(TITLE, "")]
    for key, text in japanese_catalogue().items():
        found += [("lecture_utils/messages.toml", f"{key}: {p}") for p in style.problems(text, markdown=False)]
    return found


def lecture_problems() -> list[tuple[str, str]]:
    """Every problem of the built student notebooks' text and of the package's Japanese."""
    package, found = " ".join(read(p) for p in PACKAGE.rglob("*.py")), []
    for path in sorted((ROOT / "notebooks").glob("*/*.ipynb")):
        if path.parent.name not in ("ja", "en"):
            continue
        cells = json.loads(read(path))["cells"]
        markdown = ["".join(c["source"]) for c in cells if c["cell_type"] == "markdown"]
        code = ["".join(c["source"]) for c in cells if c["cell_type"] == "code"]
        name, joined = str(path.relative_to(ROOT)), "\n".join(code)
        found += [(name, f"label this result with its data set and source file (or print it): {start!r} {nums}")
                  for cell in markdown for start, nums in unlabelled_results(cell).items()]
        found += [(name, f"{n} quoted without a source ({cell.strip()[:50]!r})")
                  for cell in markdown for n in unsourced_numbers(cell, joined, package)]
        found += [(name, f"a blank line after the heading {h!r}") for cell in markdown for h in headings_without_blank_line(cell)]
        found += [(name, f"end this cell with ';' (it is shown twice): {c.strip().splitlines()[-1][:60]}")
                  for c in code if shows_twice(c)]
        if path.parent.name == "ja":
            found += [(name, f"{p} (run notebooks/style.py)") for p in sorted({p for c in markdown for p in style.problems(c)})]
            found += [] if introduces_anomaly_degree("\n".join(markdown)) else [(name, "introduce 異常スコア（異常度） first")]
    glossary = section(read(ROOT / "docs" / "contributing.md"), "Glossary (用語集)")
    found += [("docs/contributing.md", f"the glossary lacks {term} or its variants")
              for term, variants in style.GLOSSARY.items() if term not in glossary or not all(v in glossary for v in variants)]
    return found + catalogue_problems()


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
    found += lecture_problems()
    if style.main(["--check"]) != 0:
        found.append(("notebooks/src", "not in house style: run `python notebooks/style.py && python notebooks/build.py`"))
    return [f"{name}: {problem}" for name, problem in found]


def main() -> int:
    found = problems()
    for line in found:
        print(f"lint: {line}", file=sys.stderr)
    print(f"lint: {len(found)} problem(s)" if found else "lint: the docs and the lectures follow their rules",
          file=sys.stderr)
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main())
