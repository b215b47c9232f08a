"""nbval over the notebooks: a Japanese notebook's outputs hold no English line of the package's
message catalogue (lecture_utils/messages.py) and no other English sentence (``english_sentences``:
technical names, numbers, paths, method names and commands aside), so its students read Japanese."""
import pytest

from lecture_utils.messages import english_in, english_sentences


def _texts(outputs):
    for out in outputs or []:
        yield out.get("text", "")
        yield from (str(v) for k, v in out.get("data", {}).items() if k.startswith("text/"))
        yield out.get("evalue", "")


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item):
    result = yield
    if item.path.parent.name == "ja" and hasattr(item, "test_outputs"):
        text = "\n".join(_texts(item.test_outputs))
        found = english_in(text)
        assert not found, f"{item.path.name}: English package lines in a Japanese notebook: {found}"
        sentences = english_sentences(text)
        assert not sentences, f"{item.path.name}: English sentences in a Japanese notebook's output: {sentences}"
    return result
