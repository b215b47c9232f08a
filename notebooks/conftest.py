"""nbval over the notebooks: a Japanese notebook's outputs hold no English line of the package's
message catalogue (lecture_utils/messages.py), so its students read Japanese."""
import pytest

from lecture_utils.messages import english_in


def _texts(outputs):
    for out in outputs or []:
        yield out.get("text", "")
        yield from (str(v) for k, v in out.get("data", {}).items() if k.startswith("text/"))
        yield out.get("evalue", "")


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item):
    result = yield
    if item.path.parent.name == "ja" and hasattr(item, "test_outputs"):
        found = english_in("\n".join(_texts(item.test_outputs)))
        assert not found, f"{item.path.name}: English package lines in a Japanese notebook: {found}"
    return result
