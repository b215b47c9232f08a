"""What a saved notebook's outputs show: shared by the checks of executed notebooks
(tests/test_executed.py, the book's executions) and of nbval's runs (notebooks/conftest.py): progress
bars saved as one line, and no English in a Japanese notebook's output (`english_in`: a line of the
message catalogue; `english_sentences`: any other English sentence)."""
import re

from lecture_utils.messages import MESSAGES

BAR = re.compile(r"^(?P<desc>[^\r\n|]*?):?\s*(?P<percent>\d+)%\|")   # tqdm's "desc:  50%|█████     | 1/2 ..."


def text_of(output) -> str:
    """What an output shows as text: a stream's text or a display's text/plain."""
    text = output.get("text", "") if output.get("output_type") == "stream" else output.get("data", {}).get("text/plain", "")
    return "".join(text)


def bar_problems(outputs: list[dict]) -> list[str]:
    """Progress bars not saved as one finished line: a bar in a stream (one saved line per update), a
    display holding more than its one line, or a bar left before 100 %."""
    problems = []
    for output in outputs:
        lines = [line.strip() for line in re.split(r"[\r\n]+", text_of(output)) if line.strip()]
        bars = [m for line in lines if (m := BAR.match(line))]
        if not bars:
            continue
        if output.get("output_type") == "stream" or len(lines) > 1:
            problems.append(f"{len(bars)} bar line(s) in one {output.get('output_type')}: {bars[-1].string[:60]}")
        elif int(bars[-1]["percent"]) != 100:
            problems.append(f"unfinished: {bars[-1].string[:60]}")
    return problems


def _longest_words(template: str) -> str:
    """The longest literal stretch of a template (between its {fields})."""
    return max((part.strip() for part in re.split(r"\{[^}]*\}", template)), key=len)


def english_in(text: str) -> list[str]:
    """Keys whose English line (its longest literal stretch, if sentence-like: a space and 12+
    characters) appears in ``text``: what a Japanese notebook's output must never contain."""
    return sorted(key for key, m in MESSAGES.items()
                  if " " in (words := _longest_words(m["en"])) and len(words) >= 12 and words in text)


# An English sentence in a Japanese notebook's output (notebooks/conftest.py): three or more different
# English-looking words in a row, in a line's stretch between Japanese characters.  Neutral (neither a
# word nor a break): numbers, symbols, single letters (x, t, z) and acronyms (AUROC, VAE, MNIST, DATA).
# A break: code (identifiers with _ or digits, CamelCase, calls and keywords like ``Conv2d(`` or
# ``epoch=1``, paths, file names).  Removed first: quoted strings (reprs, ``DATA = 'mnist'``), URLs
# and commands (``python -m lecture_tools data download mnist``, ``pip install ipywidgets``).
_JAPANESE = re.compile(r"[\u3000-\u303f\u3040-\u30ff\u3400-\u9fff\uff00-\uffef]+")
_QUOTED_OR_COMMAND = re.compile(r"(?<!\w)(?:'[^'\n]*'|\"[^\"\n]*\")(?!\w)|\b[a-z][a-z+.-]*://\S+|"
                                r"(?<![\w-])!?(?:python3?|pip)\s+-?[^\n\u3000-\uffff]*")
_WORD = re.compile(r"[A-Za-z][a-z]+(?:['-][a-z]+)*")   # English-looking: lower case or Capitalised
_NEUTRAL = re.compile(r"[A-Z][A-Z0-9]+|[A-Za-z]|[^A-Za-z]*")   # acronym, one letter, no letter at all
_OPENING, _CLOSING = "([{<", ")]}>,;:.!?"
ENGLISH_WORDS = 3   # different words in a row that make a sentence


def _word_or_break(token: str) -> str | None:
    """The lower-cased word ``token`` is (after its brackets and punctuation), '' if it is neutral,
    None if it is code (a break)."""
    core = token.lstrip(_OPENING).rstrip(_CLOSING)
    if _WORD.fullmatch(core):
        return core.lower()
    return "" if _NEUTRAL.fullmatch(core) else None


def _has_sentence(stretch: str) -> bool:
    """Whether ``stretch`` (text without Japanese) holds ``ENGLISH_WORDS`` different words in a row."""
    run: set[str] = set()
    for token in stretch.split():
        word = _word_or_break(token)
        if word is None:
            run = set()
        elif word:
            run.add(word)
            if len(run) >= ENGLISH_WORDS:
                return True
    return False


def english_sentences(text: str) -> list[str]:
    """The lines of ``text`` that hold an English sentence (technical names, numbers, file paths,
    method names, commands and quoted strings aside): what a Japanese notebook's output must not show."""
    return [line.strip() for line in text.splitlines()
            if any(_has_sentence(part) for part in _JAPANESE.split(_QUOTED_OR_COMMAND.sub(" ", line)))]
