"""One Japanese style for every lecture: punctuation 、。, one term per concept, counters, emphasis.

The Japanese markdown cells of ``notebooks/src/*.py`` are rewritten in place: ，．→ 、。 (and an ASCII
. or , right after Japanese text); every variant listed in ``VARIANTS`` becomes the glossary's term
(docs/contributing.md, "Glossary"); a number takes no space before its counter (「4つ」「100エポック」「3枚」,
the counters in ``COUNTERS``); italics (``*x*``, ``_x_``) become bold (Japanese has no italics: emphasise
with 太字 or 「」); and a bold label ends without a period (``**注意。**`` -> ``**注意**``).  Code cells,
English cells, `code spans`, $formulas$ and 「quoted titles」 are left alone.  Run it after editing a
source (or merging others' edits), then rebuild:

    python notebooks/style.py && python notebooks/build.py
    python notebooks/style.py --check    # exit 1 and list what would change

``tests/test_lecture_text.py`` checks the built notebooks with the same tables.
"""
from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import build  # noqa: E402  (notebooks/build.py: the one write-or-check loop)

HERE = Path(__file__).resolve().parent
PUNCTUATION = {"，": "、", "．": "。"}
# glossary term (ja) -> variants that must not appear in Japanese prose
GLOSSARY = {
    "テストセット": ("テスト集合", "テストデータ"),
    "検証セット": ("検証集合",),
    "反復射影": ("繰り返し処理",),
    "反復回数": ("繰り返し回数",),
    "エンコーダ": ("Encoder", "エンコーダー"),
    "デコーダ": ("Decoder", "デコーダー"),
    "画素": ("ピクセル",),
    "学習": ("訓練",),
    "層": ("レイヤー", "レイヤ"),
}
VARIANTS = {v: term for term, variants in GLOSSARY.items() for v in variants}
# spans kept verbatim: `code`, $math$ (inline or display) and 「titles」 (e.g. the original lecture's name)
KEEP = re.compile(r"(`[^`]*`|\$\$.*?\$\$|\$[^$\n]*\$|「[^」]*」)", re.S)
# an ASCII "." or "," right after Japanese text (kana, kanji, full-width brackets): 。 or 、
ASCII_AFTER_JA = re.compile(r"(?<=[\u3040-\u30ff\u4e00-\u9fff\uff08\uff09\u300c\u300d])([.,])(?!\.) ?")
# counters written right after their number, without a space: 「4つ」「100エポック」「3枚」「6節」
COUNTERS = ("つ", "枚", "個", "回", "節", "章", "行", "列", "種類", "エポック", "ステップ", "画素", "分", "秒",
            "時間", "日", "倍", "本", "次元", "項", "層", "桁", "ビット", "色", "点", "件", "番目", "乗", "年", "度")
# a number (4, 1.5, 4,000; not part of a name such as L1 or x2) and one space before a counter
SPACED_COUNTER = re.compile(r"(?<![A-Za-z0-9_.,])(\d{1,3}(?:,\d{3})+|\d+(?:\.\d+)?) (?=" + "|".join(COUNTERS) + ")")
# 「第 1回」: the space after 第 (an ordinal's prefix) goes too
ORDINAL_SPACE = re.compile(r"(?<=第) (?=\d)")
# Markdown italics *x* or _x_ (not **bold**, not a list's "* ", not snake_case names)
ITALIC = re.compile(r"(?<![*\\])\*(?![*\s])([^*\n]+?)(?<![\s*])\*(?!\*)"
                    r"|(?<![A-Za-z0-9_\\])_(?![_\s])([^_\n]+?)(?<!\s)_(?![A-Za-z0-9_])")
# a bold label that ends with a period: **注意。** or **注意.** (then a space: the label of a paragraph)
BOLD_PERIOD = re.compile(r"\*\*([^*\n]+?)[。.]\*\*")


def _bold_without_period(m: re.Match) -> str:
    """``**X。**``: ``**X**`` before a space or a line's end (a label), ``**X**。`` before other text
    (a bold sentence keeps its 。)."""
    after = m.string[m.end():m.end() + 1]
    return f"**{m.group(1)}**" + ("" if after in ("", " ", "\n") else "。")


RULES = (  # (pattern, replacement, what a problem says), applied in this order outside the kept spans
    (ASCII_AFTER_JA, lambda m: "。" if m.group(1) == "." else "、", "ASCII {!r} after Japanese (use 。 or 、)"),
    (SPACED_COUNTER, r"\1", "space in {!r} (no space between a number and its counter)"),
    (ORDINAL_SPACE, "", "space after 第 in {!r}"),
    (ITALIC, lambda m: f"**{m.group(1) or m.group(2)}**", "italics {!r} (use **bold** or 「」)"),
    (BOLD_PERIOD, _bold_without_period, "period in the bold label {!r} (use **label** or **label:**)"),
)


def fix_text(text: str) -> str:
    """Japanese prose with the house punctuation and glossary terms (kept spans untouched)."""
    parts = KEEP.split(text)
    for i in range(0, len(parts), 2):  # even indices: outside the kept spans
        for old, new in {**PUNCTUATION, **VARIANTS}.items():
            parts[i] = parts[i].replace(old, new)
        for pattern, replacement, _ in RULES:
            parts[i] = pattern.sub(replacement, parts[i])
    return "".join(parts)


def problems(text: str) -> list[str]:
    """What ``fix_text`` would change: forbidden punctuation or variants, outside the kept spans."""
    parts = KEEP.split(text)[::2]  # the prose between kept spans, piece by piece (as fix_text sees it)
    found = [f"{old!r} (use {new!r})" for old, new in {**PUNCTUATION, **VARIANTS}.items()
             if any(old in part for part in parts)]
    return found + [message.format(m.group(0)) for pattern, _, message in RULES
                    for part in parts for m in pattern.finditer(part)]


def fix_source(source: str) -> str:
    """A py:percent source with every ``[markdown] lang="ja"`` cell passed through :func:`fix_text`."""
    out, cell, lang = [], [], None

    def flush():
        out.extend(fix_text("\n".join(cell)).split("\n") if lang == "ja" else cell)

    for line in source.split("\n"):
        m = build.HEADER.match(line)
        if m:
            flush()
            cell, lang = [], m.group(1)
            out.append(line)
            continue
        cell.append(line)
    flush()
    return "\n".join(out)


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--check", action="store_true", help="only list the sources that would change")
    args = p.parse_args(argv)
    files = {path: fix_source(path.read_text(encoding="utf-8")) for path in sorted((HERE / "src").glob("*.py"))}
    return build.update(files, args.check, wrote="fixed", stale="would change")

if __name__ == "__main__":
    sys.exit(main())
