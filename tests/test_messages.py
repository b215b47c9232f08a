"""The message catalogue: every line in both languages with the same fields, and the guard that
finds an English line in a Japanese notebook's output (notebooks/conftest.py) really finds one."""
import re
import string

import pytest

from lecture_utils import config, messages
from lecture_utils.messages import MESSAGES, LANGS, english_in, say, tell

JAPANESE = re.compile(r"[\u3040-\u30ff\u4e00-\u9fff]")


def fields(template: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(template) if name}


@pytest.mark.parametrize("key", sorted(MESSAGES))
def test_every_message_has_both_languages_with_the_same_fields(key):
    assert set(MESSAGES[key]) == set(LANGS)
    assert fields(MESSAGES[key]["en"]) == fields(MESSAGES[key]["ja"])
    assert JAPANESE.search(MESSAGES[key]["ja"]) and not JAPANESE.search(MESSAGES[key]["en"])


@pytest.mark.parametrize("lang, other", [("ja", "en"), ("en", "ja")])
def test_say_follows_the_notebook_language(monkeypatch, capsys, lang, other):
    monkeypatch.setenv(messages.LANG_ENV, lang)
    tell("weights", path="/tmp/w.pt")
    line = capsys.readouterr().out
    assert line == MESSAGES["weights"][lang].format(path="/tmp/w.pt") + "\n"
    assert line != MESSAGES["weights"][other].format(path="/tmp/w.pt") + "\n"


def test_english_is_the_default(monkeypatch):
    monkeypatch.delenv(messages.LANG_ENV, raising=False)
    assert say("device", device="cpu") == "device: cpu"


def test_the_guard_finds_an_english_line_and_passes_japanese(monkeypatch):
    monkeypatch.setenv(messages.LANG_ENV, "en")
    english = say("slow_cpu") + "\n" + say("stopped", what="VAE", epoch=3, saved=2, path="x.partial")
    assert english_in("output:\n" + english) == ["slow_cpu", "stopped"]
    monkeypatch.setenv(messages.LANG_ENV, "ja")
    assert english_in("\n".join(say(k, **dict.fromkeys(fields(MESSAGES[k]["ja"]), 1)) for k in MESSAGES)) == []


def test_the_device_line_and_the_cpu_warning_are_said_once(monkeypatch, capsys):
    monkeypatch.setenv(messages.LANG_ENV, "ja")
    monkeypatch.delenv(config.REDUCED_ENV, raising=False)
    monkeypatch.setattr(config, "_slow_cpu_said", False)
    config.show_device("cpu")
    config.warn_if_slow("cpu")
    config.warn_if_slow("cpu")                                  # a second call: silent
    assert capsys.readouterr().out.splitlines() == ["計算デバイス: cpu", MESSAGES["slow_cpu"]["ja"]]
