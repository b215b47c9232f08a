"""The Japanese style's tool (``notebooks/style.py``, docs/contributing.md "Japanese style"): what its
fixer changes and keeps, and no stray space between Japanese characters in what a reader sees (the
built notebooks, the package's messages, the book's labels). Its rules on the lectures' text run in
tools/lint.py, as do the checks that numbers in markdown are cited."""
import importlib.util
import json
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "notebooks"))
import build  # noqa: E402
import style  # noqa: E402

_spec = importlib.util.spec_from_file_location("lint", ROOT / "tools" / "lint.py")
lint = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(lint)

NAMES = sorted(p.stem for p in (ROOT / "notebooks" / "src").glob("*.py"))


def test_style_fix_converts_punctuation_and_variants_but_keeps_code_math_and_titles():
    text = "テスト集合を使い，`Encoder` と $x．$ を「繰り返し処理による異常検知」で見ます．Encoder です"
    assert style.fix_text(text) == ("テストセットを使い、`Encoder` と $x．$ を「繰り返し処理による異常検知」で"
                                    "見ます。エンコーダです")
    assert style.problems(text) and not style.problems(style.fix_text(text))
    assert style.fix_text("**目的.** Schlegl ら, 2017 と `a, b` と 1.5 倍") == "**目的**\u3000Schlegl ら、2017 と `a, b` と 1.5倍"


def _caught_and_fixed(bad: str, good: str) -> None:
    """``bad`` is reported and fixed into ``good``; ``good`` is neither reported nor changed."""
    assert style.problems(bad), bad
    assert style.fix_text(bad) == good
    assert not style.problems(good) and style.fix_text(good) == good, good


def test_a_number_and_its_counter_have_no_space():
    _caught_and_fixed("4 つの方法を 100 エポック、3 枚、4,000 枚、1.5 倍、第 1 回で",
                      "4つの方法を 100エポック、3枚、4,000枚、1.5倍、第1回で")
    for kept in ("7 と 8 を比べる", "L1 項の役割", "`4 つ`", "$4 つ$", "128x128 の画像"):   # no counter, a name, kept spans
        assert style.fix_text(kept) == kept and not style.problems(kept), kept


def test_japanese_has_no_italics():
    _caught_and_fixed("欠陥が*どこに*あるか、_テスト_ 分割", "欠陥が**どこに**あるか、**テスト**分割")
    for kept in ("**太字**と「かぎ括弧」", "- 箇条書き\n* 箇条書き", "`snake_case_name` と x_0 と $a * b * c$", "2 * 3 * 4"):
        assert style.fix_text(kept) == kept and not style.problems(kept), kept


def test_a_bold_label_ends_without_a_period_and_is_followed_by_a_full_width_space():
    _caught_and_fixed("**注意。** 次の節", "**注意**\u3000次の節")
    _caught_and_fixed("**予備知識: ROC と AUROC.** 検出器", "**予備知識：ROC と AUROC** 検出器")
    _caught_and_fixed("**学んだこと。**\n本文", "**学んだこと**\u3000本文")
    _caught_and_fixed("文の途中で**これは大事です。**次の文", "文の途中で**これは大事です**。次の文")
    _caught_and_fixed("**課題1（実装、約10分）** 目標: 読む。", "**課題1（実装、約10分）**\u3000目標：読む。")
    for kept in ("**注意**：次の節", "**L_G が上がり続けます**。", "**課題1（実装、約10分）**\u3000目標：読む。"):
        assert style.fix_text(kept) == kept and not style.problems(kept), kept


# ---- no stray spaces in Japanese (issue 27 item 1) ----------------------------------------------

def test_stray_spaces_finds_a_space_between_two_japanese_characters():
    assert style.stray_spaces("どれだけ 見つけられるか") == ["どれだけ 見つけられるか"]
    assert len(style.stray_spaces("異常箇所。 次に\u00a0ダウンロード\tし")) == 3   # after 。, a no-break space, a tab
    for fine in ("VAE が x_t を動かす", "7 と 8", "**学んだこと**\u3000本文", "見出し\n本文", "（ICLR 2020）と", ""):
        assert style.stray_spaces(fine) == [], fine


def test_a_line_break_inside_a_japanese_paragraph_renders_as_a_stray_space():
    # what MyST-NB, JupyterLab and Colab show: a soft line break is a space
    cell = "Colab ではダウンロード\nし（それ以外では `LECTURE_UTILS_DOWNLOAD=1` のとき）\n\n- 項目\n- 次の項目"
    assert style.rendered_text(cell).splitlines()[0] == "Colab ではダウンロード し（それ以外では LECTURE_UTILS_DOWNLOAD=1 のとき）"
    assert style.stray_spaces(style.rendered_text(cell)) == ["ではダウンロード し（それ以外では"]
    assert style.stray_spaces(style.rendered_text(style.fix_text(cell))) == []


def test_japanese_paragraphs_are_joined_into_one_line_and_blocks_are_kept():
    _caught_and_fixed("正常画像だけで\n学習し、\n  `DATA` で選び、GPU\nを使います。",
                      "正常画像だけで学習し、`DATA` で選び、GPU を使います。")
    _caught_and_fixed("- **テスト**: 正常画像と\n  欠陥画像を使います。\n- 次の項目", "- **テスト**：正常画像と欠陥画像を使います。\n- 次の項目")
    _caught_and_fixed("勾配 $g$\n`[B]` を返します。", "勾配 $g$ `[B]` を返します。")   # a break between Latin words too
    for kept in ("1. 学習する。\n2. 探索する。", "| 列 | 値 |\n|---|---|\n| 学習 | 1 |", "```\ncapsule/\n  正常画像のみ\n```",
                 "$$\nL = 1\n$$\n\n次の文。", "## 見出し\n本文です。", "[4] I. Goodfellow ら、NeurIPS 2014.\n[5] 小川雄太郎、2019年。", "[3] P. Bergmann, CVPR 2019;\nIJCV 2021（PRO スコア）。",
                 "detection with generative adversarial\nnetworks", "段落です。\n\n次の段落です。"):
        assert style.fix_text(kept) == kept and not style.problems(kept), kept


def test_one_half_width_space_between_japanese_and_a_latin_word():
    _caught_and_fixed("DehaeneらはVAEを使い、L1項とx_tの128x128の画像を`DATA`で選び、λごとに",
                      "Dehaene らは VAE を使い、L1 項と x_t の 128x128 の画像を `DATA` で選び、λ ごとに")
    for kept in ("4つの方法を 100エポック", "第1回と約10分", "（ICLR 2020）、「x と G(z)」", "`test/<種類>`",
                 "『つくりながら学ぶ! PyTorchによる発展ディープラーニング』", "RGBA・パレット", "$x_t$ を動かす"):
        assert style.fix_text(kept) == kept and not style.problems(kept), kept


def test_japanese_sentences_use_japanese_colons():
    _caught_and_fixed("目標: 読む。", "目標：読む。")
    _caught_and_fixed("**注意:** 次の節", "**注意**：次の節")
    _caught_and_fixed("**解答例：** いいえ。", "**解答例**：いいえ。")
    _caught_and_fixed("書き出せます:\n`python -m lecture_tools`", "書き出せます：`python -m lecture_tools`")
    _caught_and_fixed("`docs/results.md`: エンコーダ、λ = 0: 残差", "`docs/results.md`：エンコーダ、λ = 0：残差")
    for kept in ("`a: b` と", "https://github.com/x の", "ROC: a curve", "$p: q$ の"):
        assert style.fix_text(kept) == kept and not style.problems(kept), kept


def test_emphasis_beside_japanese_has_no_space_where_commonmark_allows_and_still_renders():
    _caught_and_fixed("GPU の **探索** を行い、3. **自分の画像** を使う", "GPU の**探索**を行い、3. **自分の画像**を使う")
    fixed = style.fix_text("画素ごとに **異常スコア（異常度）**、つまり **学習不足** です")
    assert fixed == "画素ごとに**異常スコア（異常度）**、つまり**学習不足**です"
    assert "**" not in style.rendered_text(fixed) and style.stray_spaces(style.rendered_text(fixed)) == []
    # a space CommonMark needs (bold that ends in punctuation, before a letter) cannot go: listed, to reword
    needs = "値は **異常度（A）** を"
    assert style.fix_text(needs) == "値は**異常度（A）** を" and any("reword" in p for p in style.problems(needs))
    assert any("does not render" in p for p in style.problems("値は**異常度（A）**を"))
    assert "**" in style.rendered_text("値は**異常度（A）**を")     # without the space the bold would not close


def _built_japanese_cells(folder: str, name: str) -> list[str]:
    nb = json.loads((ROOT / "notebooks" / folder / "ja" / f"{name}.ipynb").read_text(encoding="utf-8"))
    return ["".join(c["source"]) for c in nb["cells"] if c["cell_type"] == "markdown"]


@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize("folder", [".", "instructor"])
def test_built_japanese_notebooks_have_no_stray_spaces_and_no_visible_bold_markers(folder, name):
    # what a reader of notebooks/ja and notebooks/instructor/ja sees (Colab, JupyterLab, the book)
    seen = [style.rendered_text(cell) for cell in _built_japanese_cells(folder, name)]
    assert not [s for text in seen for s in style.stray_spaces(text)], "run `python notebooks/style.py`"
    assert not [text[:60] for text in seen if "**" in text], "bold that does not render: reword (see style.py)"


def test_japanese_in_code_has_no_stray_spaces():
    # the catalogue's lines, the book's labels (book/build.py TEXT) and the build's Colab hint
    import ast
    book = ast.parse((ROOT / "book" / "build.py").read_text(encoding="utf-8"))
    text = next(ast.literal_eval(node.value) for node in book.body
                if isinstance(node, ast.Assign) and getattr(node.targets[0], "id", "") == "TEXT")
    from lecture_utils.messages import MESSAGES
    sentences = [MESSAGES[key]["ja"].format(detail="例です。", hint="例です。") for key in ("check_plausible", "check_right")]
    shown = [*lint.japanese_catalogue().values(), *sentences, *map(style.rendered_text, text["ja"].values()),
             style.rendered_text(build.GPU_HINT["ja"]), build.INSTALL_FAILED["ja"]]
    assert [s for line in shown for s in style.stray_spaces(line)] == []
    assert [p for line in [*text["ja"].values(), build.GPU_HINT["ja"]] for p in style.problems(line)] == []
