"""The Japanese and English notebooks: same code, built from their source, committed clean."""
import json
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "notebooks"))
import build  # noqa: E402

NAMES = sorted(p.stem for p in (ROOT / "notebooks" / "src").glob("*.py"))


def cells(lang, name, kind):
    nb = json.loads((ROOT / "notebooks" / lang / f"{name}.ipynb").read_text(encoding="utf-8"))
    return [c for c in nb["cells"] if c["cell_type"] == kind], nb


def test_every_lecture_has_a_source():
    assert NAMES, "no notebook sources in notebooks/src"
    built = {p.stem for lang in build.LANGS for p in (ROOT / "notebooks" / lang).glob("*.ipynb")}
    assert built == set(NAMES), "a notebook exists without a source in notebooks/src (or the reverse)"


@pytest.mark.parametrize("name", NAMES)
def test_ja_and_en_have_identical_code_cells(name):
    ja, _ = cells("ja", name, "code")
    en, _ = cells("en", name, "code")
    assert [c["source"] for c in ja] == [c["source"] for c in en]


@pytest.mark.parametrize("name", NAMES)
def test_markdown_is_translated_not_copied(name):
    ja, _ = cells("ja", name, "markdown")
    en, _ = cells("en", name, "markdown")
    assert len(ja) == len(en), "each markdown cell needs both a ja and an en version"
    assert any(any(ord(ch) > 0x3000 for ch in "".join(c["source"])) for c in ja), "ja notebook has no Japanese"


@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize("lang", build.LANGS)
def test_committed_clean_with_python3_kernel(name, lang):
    code, nb = cells(lang, name, "code")
    assert nb["metadata"]["kernelspec"]["name"] == "python3"
    assert all(c["outputs"] == [] and c["execution_count"] is None for c in code)


@pytest.mark.parametrize("name", NAMES)
def test_code_text_is_ascii_so_figures_never_show_empty_boxes(name):
    # Plot titles and printed tables are shared by both languages; matplotlib's default font has
    # no Japanese glyphs, so text inside code stays ASCII (comments included, for simplicity).
    code, _ = cells("en", name, "code")
    bad = [line for c in code for line in c["source"] if not line.isascii()]
    assert not bad, f"non-ASCII text in code cells: {bad[:3]}"


def test_notebooks_are_built_from_their_sources():
    assert build.main(["--check"]) == 0, "run `python notebooks/build.py` and commit the notebooks"


def test_parse_splits_languages_and_code():
    text = "# %% [markdown en]\n# Hello\n# %% [markdown ja]\n# こんにちは\n# %%\nx = 1\n"
    assert build.parse(text) == [("markdown", "en", "Hello"), ("markdown", "ja", "こんにちは"), ("code", None, "x = 1")]
