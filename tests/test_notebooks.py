"""The Japanese and English notebooks, student and instructor versions: same code, built from their
source, committed clean."""
import json
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "notebooks"))
import build  # noqa: E402

NAMES = sorted(p.stem for p in (ROOT / "notebooks" / "src").glob("*.py"))
VERSIONS = ("", "instructor/")  # the student notebooks (what the badges open) and the instructor's


def cells(lang, name, kind, version=""):
    nb = json.loads((ROOT / "notebooks" / f"{version}{lang}" / f"{name}.ipynb").read_text(encoding="utf-8"))
    return [c for c in nb["cells"] if c["cell_type"] == kind], nb


def code(lang, name, version=""):
    """The code cells' text, without the lines in the notebook's language (build.language_lines)."""
    found, _ = cells(lang, name, "code", version)
    own = build.language_lines(lang)
    return ["".join(c["source"]).replace(own, "") for c in found]


def test_every_lecture_has_a_source():
    assert NAMES, "no notebook sources in notebooks/src"
    for version in VERSIONS:
        built = {p.stem for lang in build.LANGS for p in (ROOT / "notebooks" / f"{version}{lang}").glob("*.ipynb")}
        assert built == set(NAMES), f"a {version or 'student '}notebook exists without a source (or the reverse)"
    bundles = {p.stem for p in (ROOT / "notebooks" / "grading").glob("*.json")}
    assert bundles == set(NAMES), "every lecture has a grading bundle, and every bundle a lecture"


@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize("version", VERSIONS)
def test_ja_and_en_have_identical_code_cells(name, version):
    assert code("ja", name, version) == code("en", name, version)


@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize("lang", build.LANGS)
def test_checks_speak_the_notebooks_language(name, lang):
    for version in VERSIONS:
        setup = "".join(cells(lang, name, "code", version)[0][0]["source"])
        assert f'os.environ["LECTURE_UTILS_LANG"] = "{lang}"' in setup


@pytest.mark.parametrize("name", NAMES)
def test_student_and_instructor_differ_only_inside_solutions_and_hidden_checks(name):
    student, instructor = code("en", name), code("en", name, "instructor/")
    public = [c for c in instructor if not build.hidden(c)]
    assert student == [build.strip_solutions(c) for c in public]
    assert any("# BEGIN SOLUTION" in c for c in instructor), "the instructor notebook has the solutions"
    assert len(public) < len(instructor), "the instructor notebook runs the hidden checks"
    text = "\n".join(student)
    assert "SOLUTION" not in text and "HIDDEN CHECKS" not in text and "hidden_" not in text
    md_student, _ = cells("en", name, "markdown")
    md_instructor, _ = cells("en", name, "markdown", "instructor/")
    models = [c["source"] for c in md_instructor if build.instructor_only("markdown", "".join(c["source"]))]
    assert [c["source"] for c in md_student] == [c["source"] for c in md_instructor if c["source"] not in models]


@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize("lang", build.LANGS)
def test_model_answers_are_in_instructor_notebooks_only_each_after_an_answer_cell(name, lang):
    student = json.dumps(cells(lang, name, "markdown")[1])
    assert build.MODEL_ANSWER not in student
    md, _ = cells(lang, name, "markdown", "instructor/")
    texts = ["".join(c["source"]) for c in md]
    models = [i for i, t in enumerate(texts) if t.startswith(build.MODEL_ANSWER)]
    assert models, "the instructor notebook has model answers"
    assert all(texts[i - 1].startswith(ANSWER_CELL[lang]) for i in models), "a model answer follows an answer cell"
    assert sum(t.startswith(ANSWER_CELL[lang]) for t in texts) == len(models)


ANSWER_CELL = {"en": "**Your answer:**", "ja": "**解答**："}


def test_markdown_model_answer_is_dropped_from_the_student_notebook_only():
    cells_ = [("markdown", "en", "**Your answer:** ..."), ("markdown", "en", f"{build.MODEL_ANSWER}\nIt is 42.")]
    student = "".join("".join(c["source"]) for c in build.notebook(cells_, "en", "x")["cells"])
    instructor = "".join("".join(c["source"]) for c in build.notebook(cells_, "en", "x", instructor=True)["cells"])
    assert "It is 42." not in student and "Your answer" in student
    assert "It is 42." in instructor


def test_grading_bundles_hold_the_hidden_checks():
    for name in NAMES:
        bundle = json.loads((ROOT / "notebooks" / "grading" / f"{name}.json").read_text(encoding="utf-8"))
        hidden = [c for c in code("en", name, "instructor/") if build.hidden(c)]
        assert [build.instructor_cell(q["code"]) for q in bundle["questions"]] == hidden   # + the on-the-spot check
        assert all(q["points"] > 0 for q in bundle["questions"])


@pytest.mark.parametrize("name", NAMES)
def test_markdown_is_translated_not_copied(name):
    ja, _ = cells("ja", name, "markdown")
    en, _ = cells("en", name, "markdown")
    assert len(ja) == len(en), "each markdown cell needs both a ja and an en version"
    assert any(any(ord(ch) > 0x3000 for ch in "".join(c["source"])) for c in ja), "ja notebook has no Japanese"


@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize("version", VERSIONS)
def test_code_text_is_ascii_so_figures_never_show_empty_boxes(name, version):
    # Plot titles and printed tables are shared by both languages; matplotlib's default font has
    # no Japanese glyphs, so text inside code stays ASCII (comments included, for simplicity).
    found, _ = cells("en", name, "code", version)
    found = [c for c in found if not build.hidden("".join(c["source"]))]   # grading code: never plotted
    bad = [line for c in found for line in c["source"] if not line.isascii()]
    assert not bad, f"non-ASCII text in code cells: {bad[:3]}"


def test_notebooks_are_built_from_their_sources():
    assert build.main(["--check"]) == 0, "run `python notebooks/build.py` and commit the notebooks"


def test_parse_splits_languages_and_code():
    text = '# %% [markdown] lang="en"\n# Hello\n\n# %% [markdown] lang="ja"\n# こんにちは\n\n# %%\nx = 1\n'
    assert build.parse(text) == [("markdown", "en", "Hello"), ("markdown", "ja", "こんにちは"), ("code", None, "x = 1")]


def without_header(text: str) -> str:
    """A py:percent text without its YAML header (jupytext adds its own version there on saving)."""
    return text.split("\n# ---\n", 1)[1].lstrip("\n") if text.startswith("# ---\n") else text


@pytest.mark.parametrize("name", NAMES)
def test_a_source_opens_as_one_runnable_notebook_and_saves_back_unchanged(name):
    """What JupyterLab with jupytext (or `jupytext --to ipynb`) does with a lecture's source: a
    Python notebook with both languages' markdown and the shared code, written back as it was."""
    jupytext = pytest.importorskip("jupytext")
    text = (ROOT / "notebooks" / "src" / f"{name}.py").read_text(encoding="utf-8")
    notebook = jupytext.reads(text, fmt="py:percent")
    assert notebook.metadata["kernelspec"]["name"] == "python3"
    langs = {c.metadata.get("lang") for c in notebook.cells if c.cell_type == "markdown"}
    assert langs == {"ja", "en"}
    built = ["".join(c["source"]) for c in cells("en", name, "code", "instructor/")[0][1:]]  # after setup
    code = [c.source for c in notebook.cells if c.cell_type == "code"]
    assert built == [build.instructor_cell(c) if build.hidden(c) else c for c in code]     # the lecture's code
    assert without_header(jupytext.writes(notebook, fmt="py:percent")) == without_header(text)


def private_course(tmp_path):
    """A copy of the public tree (build.py, the sources, pyproject.toml) in which to run build.py."""
    import shutil
    public = tmp_path / "public"
    shutil.copytree(ROOT / "notebooks" / "src", public / "notebooks" / "src")
    shutil.copy(ROOT / "notebooks" / "build.py", public / "notebooks" / "build.py")
    shutil.copy(ROOT / "pyproject.toml", public / "pyproject.toml")
    return public


def build_py(public, *args):
    import subprocess
    p = subprocess.run([sys.executable, str(public / "notebooks" / "build.py"), *map(str, args)],
                       capture_output=True, text=True, timeout=120)
    return p.returncode, p.stdout + p.stderr


def test_private_build_keeps_solutions_and_bundles_out_of_the_public_tree(tmp_path):
    public, private = private_course(tmp_path), tmp_path / "course-private"
    assert build_py(public, "--private", private)[0] == 0
    files = lambda root: sorted(str(p.relative_to(root)) for p in root.rglob("*") if p.is_file())
    assert files(public / "notebooks") == sorted(
        ["build.py", *(f"src/{n}.py" for n in NAMES), *(f"{lang}/{n}.ipynb" for lang in build.LANGS for n in NAMES)])
    assert files(private) == sorted([*(f"instructor/{lang}/{n}.ipynb" for lang in build.LANGS for n in NAMES),
                                     *(f"grading/{n}.json" for n in NAMES)])
    for lang in build.LANGS:                     # the same files a plain build writes, only elsewhere
        for n in NAMES:
            assert (private / "instructor" / lang / f"{n}.ipynb").read_text("utf-8") == (
                ROOT / "notebooks" / "instructor" / lang / f"{n}.ipynb").read_text("utf-8")
            assert "# BEGIN SOLUTION" not in (public / "notebooks" / lang / f"{n}.ipynb").read_text("utf-8")
    assert build_py(public, "--check", "--private", private) == (0, "")
    rc, out = build_py(public, "--check")       # plain mode wants them in the public tree: stale, not written
    assert rc == 1 and "stale: notebooks/instructor/" in out and not (public / "notebooks" / "instructor").exists()
    (private / "grading" / f"{NAMES[0]}.json").write_text("{}")
    rc, out = build_py(public, "--check", "--private", private)
    assert rc == 1 and f"grading/{NAMES[0]}.json" in out


@pytest.mark.parametrize("inside", ["secret", "notebooks/private", "."])
def test_private_refuses_a_folder_inside_the_public_tree(tmp_path, inside):
    public = private_course(tmp_path)
    before = sorted(p for p in public.rglob("*"))
    rc, out = build_py(public, "--private", public / inside)
    assert rc == 2 and "inside the public tree" in out and out.count("\n") <= 3
    assert sorted(p for p in public.rglob("*")) == before
