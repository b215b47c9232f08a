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


def test_a_bare_result_is_caught_and_settings_and_labelled_figures_pass():
    assert lint.unlabelled_results("The image AUROC is only 0.62 here.") == {"The image AUROC is only 0.62 here.": ["0.62"]}
    assert list(lint.unlabelled_results("image AUROC = 0.62, 12 % better").values()) == [["0.62", "12%"]]
    assert list(lint.unlabelled_results("画像 AUROC は 0.62〜0.67 にとどまり、1.5倍です。").values()) == [["0.62", "0.67", "1.5"]]
    # a file without a data set, or a data set without a file, is not a label
    assert lint.unlabelled_results("image AUROC 0.62 (`docs/results.md`)")
    assert lint.unlabelled_results("on the real capsule the image AUROC is 0.62")
    for fine in ("On the real capsule (`docs/results.md`): image AUROC 0.62.",
                 "合成カプセルでは 0.83 から 0.66 へ下がりました（`benchmarks/RESULTS_vae.md`）。",
                 "with α = 0.5, λ = 0.05 and $\\sigma$ = 4 px, `lam=0.05`; 2 ln 2 ≈ 1.4",
                 "1.0 = perfect, 0.5 = chance; a 95 % interval, 95 % paired bootstrap interval",
                 "choose a threshold so that 1 % of good images exceed it",
                 "```\nauroc = 0.62\n```"):
        assert lint.unlabelled_results(fine) == {}, fine
    table = "| augmentation | MSE |\n|---|---|\n| none | 0.0012 |"   # a table takes the label of its caption
    assert lint.unlabelled_results(f"Measured on the real capsule (`benchmarks/RESULTS_vae.md`):\n\n{table}") == {}
    assert list(lint.unlabelled_results(f"Measured here:\n\n{table}").values()) == [["0.0012"]]


def test_an_unsourced_decimal_is_caught():
    assert lint.unsourced_numbers("AUROC 0.9137 on the real capsule", "x = 1", "") == ["0.9137"]
    assert lint.unsourced_numbers("AUROC 0.9137", "alpha = 0.9137", "") == []
    quoted = lint.DECIMAL.findall(lint.read(lint.CITABLE["RESULTS_vae.md"]))[0]
    assert lint.unsourced_numbers(f"{quoted} (`benchmarks/RESULTS_vae.md`)", "", "") == []
    assert lint.unsourced_numbers("0.5 = chance", "", "") == []


def test_a_cell_that_shows_its_figure_twice_is_caught():
    assert lint.shows_twice("x = 1\nplots.plot_losses(history)")
    assert lint.shows_twice("plots.plot_losses(history)  # a comment")
    assert not lint.shows_twice("plots.plot_losses(history);  # a comment")
    assert not lint.shows_twice("plots.plot_losses(history);\nprint(1)")
    assert not lint.shows_twice("if x:\n    plots.plot_losses(history)")


def test_anomaly_degree_must_come_with_anomaly_score_first():
    assert lint.introduces_anomaly_degree("**異常スコア**（**異常度**）を使います。異常度は…")
    assert lint.introduces_anomaly_degree("関係のない文です。")
    assert not lint.introduces_anomaly_degree("異常度を使います。")
    assert not lint.introduces_anomaly_degree("異常度は…。後で異常スコア（異常度）と呼びます。")


def test_the_package_s_japanese_is_checked(monkeypatch, tmp_path):
    (tmp_path / "m.py").write_text('SAY = "テストデータを使い，次へ"\n', encoding="utf-8")
    monkeypatch.setattr(lint, "PACKAGE", tmp_path)
    monkeypatch.setattr(lint, "japanese_catalogue", lambda: {"bad": "画像は 4 つです", "good": "学習します。"})
    found = [what for _, what in lint.catalogue_problems()]
    assert "use 、。 instead of ，．" in found and "the glossary's term for テストデータ" in found
    assert any(what.startswith("bad: ") for what in found) and not any(what.startswith("good: ") for what in found)


def test_a_heading_with_text_on_its_next_line_is_caught():
    assert lint.headings_without_blank_line("## 4. 再構成\n各種類1枚について\n\n### 次\n\n本文") == ["## 4. 再構成"]
    assert lint.headings_without_blank_line("## 4. Reconstructions\n\nInput, ...\n#### last") == []
    assert lint.headings_without_blank_line("Run:\n\n```python\n# load the data\nx = 1\n```") == []
