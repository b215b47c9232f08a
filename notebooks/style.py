"""One Japanese style for every lecture: punctuation 、。：, one term per concept, counters, emphasis, spacing.

The Japanese markdown cells of ``notebooks/src/*.py`` are rewritten in place (docs/contributing.md,
"Japanese style"):

* **no hard wraps**: a paragraph or list item is one source line (a line break inside renders as a
  space, and Japanese puts no space between its characters); a space between two Japanese characters
  goes, and so does one beside emphasis where CommonMark lets it (``の **探索** を`` -> ``の**探索**を``);
  a bold label that opens a paragraph is followed by a full-width space (``**学んだこと**　本文``);
* **one spacing rule for Latin words**: one half-width space between Japanese and a Latin word
  (letters, or a name such as ``L1``, ``x_0``), `code` or $math$: 「VAE が」「`DATA` で」, never
  「VAEが」; none next to Japanese punctuation, and none between a number and its counter
  (「4つ」「100エポック」「3枚」, the counters in ``COUNTERS``);
* **Japanese punctuation**: ，． and an ASCII . , or : right after Japanese become 、。： (a colon
  that ends a bold label moves after it: ``**注意**：本文``);
* every variant listed in ``VARIANTS`` becomes the glossary's term (docs/contributing.md, "Glossary");
* italics (``*x*``, ``_x_``) become bold (Japanese has no italics: emphasise with 太字 or 「」), and a
  bold label ends without a period (``**注意。**`` -> ``**注意**``).

Code cells, English cells, `code spans`, $formulas$, fenced blocks and 「quoted titles」/『book titles』
are left alone.  What cannot be fixed by rule (a space that CommonMark needs beside emphasis, e.g.
``**A（B）** を``: reword it) is listed.  Run it after editing a source (or merging others' edits),
then rebuild:

    python notebooks/style.py && python notebooks/build.py
    python notebooks/style.py --check    # exit 1 and list what would change or needs rewording

``stray_spaces(text)`` finds the spaces a reader would see between two Japanese characters (in a
built notebook's cell, ``rendered_text(cell)``; in the book, the pages' text).
``tools/lint.py`` checks the built notebooks with the same tables.
"""
from __future__ import annotations

import argparse
import re
import sys
import unicodedata
from itertools import takewhile
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
    "カプセルの実データ": ("実物のカプセル",),   # "the real capsule": a data set's name (tools/lint.py)
    "MNIST": ("実物の MNIST", "本物の MNIST"),
}
VARIANTS = {v: term for term, variants in GLOSSARY.items() for v in variants}
# Japanese: CJK punctuation 、。「」 and the full-width space, kana, kanji, full-width forms （）：
JA = "\u3000-\u303f\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uff00-\uffef"
# the Japanese letters (kana, kanji, 々, ー; not 、。「」（）・): a Latin word is spaced from these
JA_LETTER = "\u3005\u3040-\u30fa\u30fc-\u30ff\u3400-\u4dbf\u4e00-\u9fff"
LATIN = "A-Za-z\u0370-\u03ff"   # Latin and Greek letters: VAE, x_t, λ
# spans kept verbatim: `code`, $math$ (inline or display) and 「titles」 (e.g. the original lecture's name)
KEEP = re.compile(r"(`[^`]*`|\$\$.*?\$\$|\$[^$\n]*\$|「[^」]*」)", re.S)
# spans the spacing rules see as one unit: `code` and $math$ (a Latin word), 『book titles』 (kept)
UNITS = re.compile(r"`[^`]*`|\$\$.*?\$\$|\$[^$\n]*\$|『[^』]*』", re.S)
WORD, TITLE = "\ue000", "\ue001"   # private-use stand-ins for a unit while the spacing rules run
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
# (every bold span is matched, left to right, so that a closing ** never pairs with the next opening one)
BOLD_PERIOD = re.compile(r"\*\*([^*\n]+?)\*\*")
# a space between two Japanese characters (「ダウンロード し」), outside `code` and $math$
JA_SPACE = re.compile(rf"(?<=[{JA}])[ \t]+(?=[{JA}])")
# a Japanese letter touching a Latin word, `code` or $math$ (through ** of bold): 「VAEを」「を`x`」
LATIN_AFTER_JA = re.compile(rf"(?<=[{JA_LETTER}])(?=(?:\*\*)?[0-9_(]*[{LATIN}{WORD}])")
JA_AFTER_LATIN = re.compile(rf"((?:[{LATIN}][0-9_]*|{WORD})[)\]]*(?:\*\*)?)(?=[{JA_LETTER}])")
# an ASCII colon after Japanese (through the ** of a bold label), a full-width one that ends a bold
# label (it goes after the label), an ASCII one before Japanese, and the spaces after any of them:
# 「目標: 読む」「**注意：** 次」「`DATA`: 選ぶ」 -> 「目標：読む」「**注意**：次」「`DATA`：選ぶ」
COLON = re.compile(rf"(?<=[{JA}])(\*\*)?:(\*\*)?[ \t]*|(?<=[{JA}])：(\*\*)[ \t]*|：[ \t]+"
                   rf"|(?<=[^\s:*])(\*\*)?:(\*\*)?[ \t]+(?=[{JA}])")   # and 「`x`: 説明」 -> 「`x`：説明」


def _bold_without_period(m: re.Match) -> str:
    """``**X。**``: ``**X**`` before a space or a line's end (a label), ``**X**。`` before other text
    (a bold sentence keeps its 。); other bold spans as they are."""
    body, after = m.group(1), m.string[m.end():m.end() + 1]
    if body[-1] not in "。." or body[0].isspace():
        return m.group(0)
    return f"**{body[:-1]}**" + ("" if after in ("", " ", "\n", "\u3000") else "。")


RULES = (  # (pattern, replacement, what a problem says), applied in this order outside the kept spans
    (ASCII_AFTER_JA, lambda m: "。" if m.group(1) == "." else "、", "ASCII {!r} after Japanese (use 。 or 、)"),
    (SPACED_COUNTER, r"\1", "space in {!r} (no space between a number and its counter)"),
    (ORDINAL_SPACE, "", "space after 第 in {!r}"),
    (ITALIC, lambda m: f"**{m.group(1) or m.group(2)}**", "italics {!r} (use **bold** or 「」)"),
    (BOLD_PERIOD, _bold_without_period, "period in the bold label {!r} (use **label** or **label**：)"),
)
SPACING = (  # (pattern, replacement, what a problem says), applied with `code`, $math$ and 『titles』 as units
    (JA_SPACE, "", "space between Japanese characters in {!r}"),
    (LATIN_AFTER_JA, " ", "no space between Japanese and a Latin word in {!r} (one half-width space)"),
    (JA_AFTER_LATIN, r"\1 ", "no space between a Latin word and Japanese in {!r} (one half-width space)"),
)
MARKDOWN = (  # rules of markdown prose only (not of the lines the package prints)
    (COLON, lambda m: "".join(g or "" for g in m.groups()) + "：", "colon in {!r} (use ：, after a bold label, no space)"),
)


def _masked(text: str) -> tuple[str, list[str]]:
    """``text`` with each `code`/$math$ span as WORD and each 『title』 as TITLE, and the spans."""
    spans = [m.group(0) for m in UNITS.finditer(text)]
    return UNITS.sub(lambda m: TITLE if m.group(0).startswith("『") else WORD, text), spans


def _unmasked(text: str, spans: list[str]) -> str:
    it = iter(spans)
    return re.sub(f"[{WORD}{TITLE}]", lambda m: next(it), text)


def _spaced(text: str, rules=SPACING) -> str:
    """``text`` with the spacing rules applied (units kept)."""
    masked, spans = _masked(text)
    for pattern, replacement, _ in rules:
        masked = pattern.sub(replacement, masked)
    return _unmasked(masked, spans)


def fix_text(text: str, markdown: bool = True) -> str:
    """Japanese prose with the house punctuation, spacing and glossary terms (kept spans untouched);
    ``markdown``: also one line per paragraph, Japanese colons and emphasis without stray spaces (not
    for the lines the package prints). Applied until nothing changes (a colon made Japanese can make a
    line break a soft one)."""
    for _ in range(4):
        fixed = _fixed_once(text, markdown)
        if fixed == text:
            break
        text = fixed
    return text


def _fixed_once(text: str, markdown: bool) -> str:
    parts = KEEP.split(joined_lines(text) if markdown else text)
    for i in range(0, len(parts), 2):  # even indices: outside the kept spans
        for old, new in {**PUNCTUATION, **VARIANTS}.items():
            parts[i] = parts[i].replace(old, new)
        for pattern, replacement, _ in RULES:
            parts[i] = pattern.sub(replacement, parts[i])
    text = "".join(parts)
    return _spaced(_emphasis_spaced(_spaced(text, MARKDOWN))) if markdown else _spaced(text)


def problems(text: str, markdown: bool = True) -> list[str]:
    """What ``fix_text`` would change (forbidden punctuation or variants, outside the kept spans;
    spacing; with ``markdown``, hard wraps, colons and emphasis), and the stray spaces it cannot fix."""
    parts = KEEP.split(text)[::2]  # the prose between kept spans, piece by piece (as fix_text sees it)
    found = [f"{old!r} (use {new!r})" for old, new in {**PUNCTUATION, **VARIANTS}.items()
             if any(old in part for part in parts)]
    found += [message.format(m.group(0)) for pattern, replacement, message in RULES
              for part in parts for m in pattern.finditer(part) if _replaced(m, replacement) != m.group(0)]
    masked = _masked(text)[0]
    found += [message.format(_unmasked_snippet(masked, m)) for pattern, _, message in SPACING + MARKDOWN * markdown
              for m in pattern.finditer(masked)]
    if markdown:
        found += [f"line break inside a Japanese paragraph: {w!r} (one line per paragraph)" for w in hard_wraps(text)]
        if (emphasis := _emphasis_spaced(text)) != text:
            found += [f"space beside emphasis: {line!r}" for line in text.splitlines() if line not in emphasis.splitlines()]
        found += unfixable(fix_text(text))
    return found


def unfixable(markdown: str) -> list[str]:
    """What no rule can fix in a Japanese cell, to reword: a stray space that CommonMark needs beside
    emphasis, and emphasis that does not render (``**A（B）**を``: bold that ends in punctuation
    needs punctuation or a space after it, e.g. ``**A**（**B**）を``)."""
    seen = rendered_text(markdown)
    return ([f"stray space {s!r} (reword the emphasis beside it)" for s in stray_spaces(seen)]
            + [f"bold that does not render: {line!r}" for line in seen.splitlines() if "**" in line])


def _replaced(m: re.Match, replacement) -> str:
    """What ``pattern.sub`` puts in place of the match ``m``."""
    return replacement(m) if callable(replacement) else m.expand(replacement)


def _unmasked_snippet(masked: str, m: re.Match) -> str:
    """A few characters around a match of the masked text (units shown as … )."""
    return masked[max(0, m.start() - 6):m.end() + 6].replace(WORD, "…").replace(TITLE, "『…』")


# ---- one line per paragraph -------------------------------------------------------------------
# a line that starts a block of its own: a list item, heading, table row, fence (``` or MyST's :::),
# display math, HTML, quote, or a numbered reference "[1] ..."
BLOCK_START = re.compile(r"^\s*(?:[-*+]\s|\d+[.)]\s|#{1,6}\s|\||```|:::|\$\$|<|>|\[\d+\]\s)")
OWN_LINE = re.compile(r"^\s*(?:#{1,6}\s|\||```|:::|\$\$|<)|(?: {2}|\\)$")   # ends its line (or a hard break)
REFERENCE = re.compile(r"^\s*\[\d+\]\s")   # "[1] D. Dehaene, ...": a reference keeps its lines (as in English)


def _lines_outside_fences(text: str):
    """(line, inside a fenced block or display math) for each line of ``text``."""
    inside = None
    for line in text.split("\n"):
        mark = next((m for m in ("```", "$$") if line.strip().startswith(m)), None)
        opens = mark and inside is None and not (mark == "$$" and line.strip().endswith("$$") and len(line.strip()) > 2)
        yield line, inside is not None or bool(opens)
        if opens:
            inside = mark
        elif mark and mark == inside:
            inside = None


def _paragraphs(text: str) -> list[list[str]]:
    """``text`` as runs of lines that markdown renders as one paragraph (or one list item): lines
    joined by soft breaks. Blank lines, fenced blocks, headings and tables are runs of one line."""
    runs: list[list[str]] = []
    prev_open = False                     # whether the last run may continue on the next line
    for line, fenced in _lines_outside_fences(text):
        if prev_open and not fenced and line.strip() and not BLOCK_START.match(line):
            runs[-1].append(line)
        else:
            runs.append([line])
        prev_open = not fenced and bool(line.strip()) and not OWN_LINE.search(line)
    return runs


def _wrapped_japanese(run: list[str]) -> bool:
    """A paragraph of several lines with Japanese in it (not a numbered reference): a hard wrap."""
    return len(run) > 1 and not REFERENCE.match(run[0]) and bool(re.search(f"[{JA}]", "".join(run)))


def hard_wraps(text: str) -> list[str]:
    """Each line break inside a Japanese paragraph of ``text``, as 'end of line⏎start of next'."""
    return [f"{a.rstrip()[-8:]}⏎{b.lstrip()[:8]}" for run in _paragraphs(text) if _wrapped_japanese(run)
            for a, b in zip(run, run[1:])]


def joined_lines(text: str) -> str:
    """``text`` with each Japanese paragraph on one line: a line follows the one before it with no
    space after Japanese or before Japanese punctuation, else one space (the spacing rules then add
    the space before a Latin word; beside emphasis, ``_bold`` decides)."""
    out = []
    for run in _paragraphs(text):
        if not _wrapped_japanese(run):
            out.extend(run)
            continue
        line = run[0].rstrip()
        for after in (part.strip() for part in run[1:]):
            japanese = re.search(f"[{JA}]$", line) or re.match(f"[{JA}]", after) and _punct(after[0])
            line += ("" if japanese else " ") + after
        out.append(line)
    return "\n".join(out)


# ---- emphasis and stray spaces ------------------------------------------------------------------
BOLD = re.compile(r"(?:^|(?<=(?P<pre>[^\s*])))(?P<sp1>[ \t]?)\*\*(?P<body>[^*\n]+?)\*\*(?P<sp2>[ \t]?)"
                  r"(?=(?P<post>[^\s*])|$)", re.M)


def _punct(char: str) -> bool:
    """CommonMark's punctuation (Unicode P and S): emphasis next to it needs a space or punctuation outside."""
    return unicodedata.category(char)[0] in "PS" if char else True


def _bold(m: re.Match) -> str:
    """One ``**body**`` with the spaces beside it that Japanese does not want: a space between it and
    Japanese goes where CommonMark still sees the emphasis; a bold label that opens a line is followed
    by a full-width space."""
    pre, sp1, body, sp2, post = m.group("pre", "sp1", "body", "sp2", "post")
    ja = lambda c: bool(c) and bool(re.match(f"[{JA}]", c))  # noqa: E731
    if sp1 and ja(pre) and ja(body[0]) and (not _punct(body[0]) or _punct(pre)):
        sp1 = ""
    if sp2 and ja(body[-1]) and not pre and not sp1:
        sp2 = "\u3000"      # a label: **学んだこと**　本文
    elif sp2 and ja(post) and ja(body[-1]) and (not _punct(body[-1]) or _punct(post)):
        sp2 = ""
    return f"{sp1}**{body}**{sp2}"


def _emphasis_spaced(text: str) -> str:
    masked, spans = _masked(text)
    return _unmasked(BOLD.sub(_bold, masked), spans)


STRAY = re.compile(rf"(?<=[{JA}])[ \t\u00a0]+(?=[{JA}])")


def stray_spaces(text: str) -> list[str]:
    """Every space a reader sees between two Japanese characters of ``text``, with up to 8 characters
    either side: Japanese puts no space between its characters, so each is a stray (usually a line
    break inside a paragraph, which renderers show as a space). ``text`` is what a reader sees: a
    page's text as a browser shows it (soft line breaks already spaces, e.g. ``innerText``), or
    ``rendered_text`` of a markdown cell. A full-width space (after a bold label) is no stray."""
    return [text[max(0, m.start() - 8):m.end() + 8].replace("\n", "⏎") for m in STRAY.finditer(text)]


def rendered_text(markdown: str) -> str:
    """The text a reader sees of a markdown cell, rendered by CommonMark (markdown-it, as MyST-NB and
    JupyterLab do): a soft line break inside a paragraph becomes a space, emphasis that opens and
    closes loses its markers (``**`` that CommonMark cannot match stays visible), one block a line."""
    from markdown_it import MarkdownIt   # jupytext's dependency, installed with the dev extras
    blocks = []
    for token in MarkdownIt("commonmark").enable("table").parse(markdown):
        if token.type == "inline":
            blocks.append("".join(" " if c.type == "softbreak" else "\n" if c.type == "hardbreak" else c.content
                                  for c in token.children))
        elif token.type in ("fence", "code_block", "html_block"):
            blocks.append(token.content)
    return "\n".join(blocks)


# ---- sources -------------------------------------------------------------------------------------
def _cell_markdown(lines: list[str]) -> tuple[list[str], list[str]]:
    """A markdown cell's source lines (``# text``, ``#``) as markdown, and the blank lines after it."""
    body = lines[:len(lines) - len(list(takewhile(lambda line: line == "", reversed(lines))))]
    return [line[2:] if line.startswith("# ") else line[1:] for line in body], lines[len(body):]


def fix_source(source: str) -> str:
    """A py:percent source with every ``[markdown] lang="ja"`` cell passed through :func:`fix_text`."""
    out, cell, lang = [], [], None

    def flush():
        if lang != "ja":
            out.extend(cell)
            return
        markdown, blank = _cell_markdown(cell)
        out.extend([f"# {line}" if line else "#" for line in fix_text("\n".join(markdown)).split("\n")] + blank)

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


def japanese_cells(source: str) -> list[str]:
    """The markdown of each Japanese cell of a py:percent source."""
    return [text for kind, lang, text in build.parse(source) if kind == "markdown" and lang == "ja"]


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--check", action="store_true", help="only list the sources that would change")
    args = p.parse_args(argv)
    sources = sorted((HERE / "src").glob("*.py"))
    files = {path: fix_source(path.read_text(encoding="utf-8")) for path in sources}
    changed = build.update(files, args.check, wrote="fixed", stale="would change")
    left = [f"{path.name}: {s}" for path, text in files.items() for cell in japanese_cells(text) for s in unfixable(cell)]
    for line in left:
        print(f"reword: {line}")
    return 1 if (changed or left) else 0

if __name__ == "__main__":
    sys.exit(main())
