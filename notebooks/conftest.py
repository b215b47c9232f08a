"""nbval over the notebooks: a Japanese notebook's outputs hold no English line of the package's
message catalogue (lecture_utils/messages.toml) and no other English sentence (``english_sentences``:
technical names, numbers, paths, method names and commands aside), so its students read Japanese;
and no notebook saves a progress bar as stream text, one line per update (``lecture_utils.progress``
draws it as one display updated in place; nbval keeps a display's first state, so tests/test_executed.py
checks that bars end at 100 % in the book's executions)."""
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
from outputs import BAR, english_in, english_sentences  # noqa: E402  (tests/outputs.py)


def _texts(outputs):
    for out in outputs or []:
        yield out.get("text", "")
        yield from (str(v) for k, v in out.get("data", {}).items() if k.startswith("text/"))
        yield out.get("evalue", "")


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item):
    result = yield
    streamed = [line for out in getattr(item, "test_outputs", None) or [] if out.get("output_type") == "stream"
                for line in out.get("text", "").replace("\r", "\n").splitlines() if BAR.match(line.strip())]
    assert not streamed, f"{item.path.name}: a progress bar saved as {len(streamed)} lines of text: {streamed[-1][:60]}"
    if item.path.parent.name == "ja" and hasattr(item, "test_outputs"):
        text = "\n".join(_texts(item.test_outputs))
        found = english_in(text)
        assert not found, f"{item.path.name}: English package lines in a Japanese notebook: {found}"
        sentences = english_sentences(text)
        assert not sentences, f"{item.path.name}: English sentences in a Japanese notebook's output: {sentences}"
    return result
