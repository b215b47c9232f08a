"""tools/lint.py catches what each of its rules forbids, and passes what they allow (`make test` runs
the lint itself on the repository, before the tiers)."""
import importlib.util
import json
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
_spec = importlib.util.spec_from_file_location("lint", ROOT / "tools" / "lint.py")
lint = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(lint)


def test_a_long_readme_without_its_links_is_caught():
    links = "".join(f"(docs/{g}.md)" for g in lint.GUIDES) + " https://me.github.io/lectures/"
    assert lint.readme_problems(links, "me/lectures") == []
    assert lint.readme_problems(links + "\n" * 121, "me/lectures") == ["121 lines (at most 120)"]
    assert lint.readme_problems(links.replace("(docs/data.md)", ""), "me/lectures") == ["no link to docs/data.md"]
    assert lint.readme_problems(links, "fork/lectures") == ["no link to the book on GitHub Pages"]


def test_dates_commits_and_lab_voice_are_caught():
    assert len(lint.prose_problems("measured 2026-11-24 at commit a87ffd0 on this machine")) == 3
    assert lint.prose_problems("the decade 1234567, a word like defaced, 90-minute class") == []


def test_a_run_time_outside_its_table_and_a_claim_stated_twice_are_caught():
    assert lint.DURATION.findall("about 7 min (33 min 20 s) or 6.5 minutes") == ["7 min", "33 min", "20 s", "6.5 minutes"]
    assert not lint.DURATION.findall("a 90-minute class, 5 %, umask 0666, --timeout 60, 128-pixel")
    assert lint.run_time_problems("training takes 7 min", is_results=False) == [
        "'7 min': state run times in docs/results.md, 'Run times'"]
    table = "## Run times\n\n| what | command | time |\n|---|---|---|\n| make test | `make test` | 9 min |\n"
    assert lint.run_time_problems(table, is_results=True) == []
    twice = table + "| make test | `make test` | 8 min |\n| lectures | `make lectures` | long |\n"
    assert lint.run_time_problems(twice, is_results=True) == [
        "run time stated twice: make test", "run time without its measured time: | lectures | `make lectures` | long |"]


def notebook(markdown: str) -> dict:
    return {"cells": [{"cell_type": "markdown", "source": markdown}]}


def test_a_class_plan_naming_a_missing_section_or_exercise_is_caught():
    assert lint.referenced("| 75–90 | x | exercise 4 | exercises 1–3 are homework |", "exercise") == {1, 2, 3, 4}
    assert lint.referenced("sections 2 and 3, sections 6 and 7", "section") == {2, 3, 6, 7}
    lecture = notebook("## 1. Data\n## 2. Model\n**Exercise 1 (10 min)** do it")
    plan = "## Class plan: one 90-minute class per lecture\n\n**Lecture 1 (x)**\n| 0–10 | section 1, exercise 1 |\n"
    assert lint.class_plan_problems(plan, {1: lecture}) == []
    assert lint.class_plan_problems(plan.replace("section 1", "sections 1–3"), {1: lecture}) == ["lecture 1: no section 3"]
    assert lint.class_plan_problems(plan.replace("exercise 1", "exercise 2"), {1: lecture}) == ["lecture 1: no exercise 2"]


def test_an_architecture_section_out_of_step_with_the_package_is_caught(tmp_path):
    (tmp_path / "sub").mkdir()
    for name in ("a.py", "sub/b.py", "__init__.py", *lint.ALGORITHMS):
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text("x = 1\n" * 10)
    names = " ".join(f"`{n}`" for n in lint.ALGORITHMS)
    files = len(list(tmp_path.rglob("*.py")))
    tree = "\n".join(["lecture_utils/", "  a.py   x", "  metrics.py  m", "  sub/   y", "    b.py z", "  vae/",
                      *[f"    {Path(n).name}" for n in lint.ALGORITHMS if n.startswith("vae/")], "  anogan/",
                      *[f"    {Path(n).name}" for n in lint.ALGORITHMS if n.startswith("anogan/")]])
    page = (f"## Architecture\n**{files * 10} lines in {files} files**, **algorithms take 70 lines** {names}\n"
            f"```\n{tree}\n```\n## Next\n")
    assert lint.architecture_problems(page, tmp_path) == []
    assert lint.architecture_problems(page.replace("    b.py z\n", ""), tmp_path) == ["Architecture does not list sub/b.py"]
    assert lint.architecture_problems(page.replace(f"**{files * 10} lines", "**7 lines"), tmp_path) == [
        f"Architecture says 7 lines, there are {files * 10}"]
    assert lint.architecture_problems(page.replace(f"in {files} files", "in 3 files"), tmp_path) == [
        f"Architecture says 3 files, the package has {files}"]
    assert lint.architecture_problems("## Architecture\n```\n```\n", tmp_path)[-1] == "Architecture states no size of the package"


def test_the_real_class_plan_and_notebooks_are_read():
    """The lint reads the lectures' own headings (a renamed heading style would make every plan fail)."""
    nb = json.loads((ROOT / "notebooks" / "en" / "01_vae_iterative_projection.ipynb").read_text(encoding="utf-8"))
    sections, exercises = lint.headings_and_exercises(nb)
    assert len(sections) >= 5 and len(exercises) >= 3
