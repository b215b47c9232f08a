"""The message catalogue: every line in both languages with the same fields (a result line with the
same numbers in the same order), and the guards of a Japanese notebook's output (notebooks/conftest.py):
they find an English line of the catalogue and any other English sentence, and pass Japanese lines
with technical names, code and reprs."""
import re
import string

import pytest

from lecture_utils import config, messages
from lecture_utils.messages import MESSAGES, LANGS, say, tell
from outputs import english_in, english_sentences

JAPANESE = re.compile(r"[\u3000-\u303f\u3040-\u30ff\u4e00-\u9fff\uff00-\uffef]")   # kana, kanji, 、。（）


RESULTS = {key: entry for group in ("datasets", "vae", "versus", "anogan") for key, entry in messages.GROUPS[group].items()}


def fields(template: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(template) if name}


def test_the_catalogue_is_the_packages_data_file_and_each_key_is_in_one_group():
    from importlib import resources
    assert resources.files("lecture_utils").joinpath("messages.toml").is_file()
    assert sum(len(group) for group in messages.GROUPS.values()) == len(MESSAGES) > 100
    assert all(set(entry) == set(LANGS) for group in messages.GROUPS.values() for entry in group.values())
    assert len(RESULTS) > 40 and RESULTS.keys() <= MESSAGES.keys()


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


# --- the widened guard: no English sentence in a Japanese notebook's output ----------------------------

# Lines the notebooks printed in their Japanese versions before issue 27 (executed, reduced): English.
ENGLISH_PRINTED = [
    "capsule data: synthetic (/tmp/tmp.Saw/synthetic_capsule_small_seed1) | digits: bundled",
    "  masks: 20 | image size: [256, 256]",
    "torch.Size([30, 3, 128, 128]) labels: 20 defective, 10 good",
    "test images per type: {'good': 2, 'crack': 2, 'faulty_imprint': 2, 'poke': 2}",
    "encoder: 9 convolution layers",
    "same x_T as project() up to float32 rounding: True (largest difference 6.0e-08)",
    "method     image AUROC pixel AUROC  seconds",
    "kl: hardest type faulty_imprint (0.034), easiest poke (0.465) by pixel AUROC",
    "residual  mean map: good images 0.3132 | normal pixels of defective images 0.3051 | defect pixels 0.2466",
    "this run: capsule: synthetic, seed 1 (offline), 12 test images (10 defective); one test set, no interval",
    "kl vs residual: pixel AUROC 0.289 - 0.252 = +0.037 (ahead); image AUROC 0.300 - 0.450 = -0.150 (behind)",
    "image score: best image AUROC 0.450 (residual): near chance (strong >= 0.90, usable >= 0.75, weak >= 0.60)",
    "t =   5: pixel AUROC 0.289   <- the lecture's T",
    "change from t = T to t = 2T: -0.016",
    "searched 100 images x 10 steps in 23.5 s (4.2 images/s)",
    "AUROC  A(x): 0.536 | residual only: 0.532 | discrimination only: 0.660",
    "encoder: AUROC 0.579 in 1.99 s (12x faster than the search)",
    "held-out normal images: 40 searched in 11.1 s",
    "training took 57 s (cached in gan-f2cbc79cf2.pt)",
    "学習時間 57秒（gan.pt に保存）, then it was loaded from the cache",   # English after Japanese
]
# What a Japanese notebook prints that is no English sentence: Japanese with technical names, code, reprs.
NOT_SENTENCES = [
    "合成カプセルを使います（/tmp/x に実データがなく、Colab 以外ではダウンロードしません）。実データを使うには "
    "DATA = 'lecture' か LECTURE_UTILS_DOWNLOAD=1 を設定するか、python -m lecture_tools data download lecture を"
    "実行してください。",
    "（ipywidgets がないため、上の図は既定値のものです。スライダーを使うには pip install ipywidgets）",
    "kl 対 residual: 画素 AUROC 0.289 - 0.252 = +0.037（上回る）、画像 AUROC 0.300 - 0.450 = -0.150（下回る）",
    "encoder+search 対 search: 画像 AUROC 0.528 - 0.536 = -0.008（下回る）",
    "lambda = 0.1 で探索した z での AUROC: lambda 0: 0.532 | lambda 0.05: 0.534 | lambda 0.1: 0.536",
    "    (1): LeakyReLU(negative_slope=0.2, inplace=True)",
    "  (encoder): Sequential(",
    "VAEConfig(z_dim=100, channels=3, batch_size=10, lr=0.0002, augment='none', seed=0, save_every=10)",
    "GAN: 100%|██████████| 2/2 [00:27<00:00, 13.54s/it, epoch=2, loss_D=0.252, loss_G=2.436]",
    "  test  {'good': 10, 'crack': 4, 'faulty_imprint': 4, 'poke': 4, 'scratch': 4, 'squeeze': 4}",
    "VBox(children=(Dropdown(description='image', options=('2: crack', '4: faulty_imprint'), value='2: crack'),))",
    "residual         0.450       0.252      0.6",
    "encoder+search   0.528 ",
    "z (4, 20) -> G(z) (4, 1, 64, 64) -> D: ロジット (4, 1, 1, 1)、特徴 (4, 8192)",
    "講師が公開した重み（リリース v0.1.0、https://github.com/o/r/releases/download/v0.1.0/anogan_weights.zip から"
    "ダウンロード）がこの設定とデータに合うので、/content/lecture_utils_data/anogan/gan-1.pt にコピーし、学習せずに読み込みます",
]


@pytest.mark.parametrize("line", ENGLISH_PRINTED)
def test_the_guard_finds_an_english_sentence(line):
    assert english_sentences("出力:\n" + line + "\n") == [line.strip()]


@pytest.mark.parametrize("line", NOT_SENTENCES)
def test_the_guard_passes_japanese_with_technical_names_and_code(line):
    assert english_sentences(line) == []


def _filled(key: str, lang: str) -> str:
    """The line of ``key`` in ``lang``, every field a plausible value: a path, a name or a number."""
    values = {"path": "/content/lecture_utils_data/anogan/gan-1234.pt", "folder": "/content/x/MNIST/raw",
              "url": "https://example.org/mnist/", "method": "kl", "new": "encoder+search", "old": "search",
              "source": "bundled", "capsule": "synthetic", "digits": "mnist", "what": "GAN", "name": "gan-1.pt"}
    template = MESSAGES[key][lang]
    return template.format(**{f: values.get(f, 3) for f in fields(template)})


def test_no_japanese_line_of_the_catalogue_holds_an_english_sentence():
    found = {key: _filled(key, "ja") for key in MESSAGES if english_sentences(_filled(key, "ja"))}
    assert found == {}


def test_the_english_result_lines_are_found():
    # every English line of the results that has words enough to be a sentence (not a table header word)
    sentences = [k for k in RESULTS if len(re.findall(r"[a-z]{2,}", _filled(k, "en"))) >= 5]
    assert len(sentences) >= 20
    assert [k for k in sentences if not english_sentences(_filled(k, "en"))] == []


def numbers(line: str) -> list[str]:
    return re.findall(r"\d+(?:\.\d+)?", line)


@pytest.mark.parametrize("key", sorted(RESULTS))
def test_a_japanese_result_line_carries_the_english_numbers_in_the_same_order(key):
    """So that a check which reads the numbers of an English line (tests/verdicts.py) can read the
    Japanese one: the same fields in the same order, the same literal numbers."""
    en, ja = MESSAGES[key]["en"], MESSAGES[key]["ja"]
    order = [name for _, name, _, _ in string.Formatter().parse(en) if name]
    assert [name for _, name, _, _ in string.Formatter().parse(ja) if name] == order
    filled = {name: 10 + i for i, name in enumerate(order)}
    assert numbers(en.format(**filled)) == numbers(ja.format(**filled))


def test_tables_keep_their_columns_in_japanese(monkeypatch):
    from lecture_utils.vae.evaluate import MethodResult, comparison_table, defect_table
    result = MethodResult(target=None, maps=None, scores=[0.0] * 4, image_auroc=0.75, pixel_auroc=0.9,
                          per_defect={"faulty_imprint": {"n": 2, "image_auroc": 0.5, "pixel_auroc": None}}, seconds=1.5)
    en = comparison_table({"kl": result}), defect_table(result)
    assert en[0].splitlines()[0] == "method     image AUROC pixel AUROC  seconds"       # as before issue 27
    monkeypatch.setenv(messages.LANG_ENV, "ja")
    for table, english in zip((comparison_table({"kl": result}), defect_table(result)), en):
        head, *rows = table.splitlines()
        assert JAPANESE.search(head) and rows == english.splitlines()[1:]
        assert {messages.width(line) for line in table.splitlines()} == {len(english.splitlines()[1])}


def test_a_header_places_its_cells_over_the_rows_columns_counting_wide_characters_twice():
    assert messages.width("画素 AUROC") == 10
    assert messages.columns(("a", 4, False), ("b", 3, True)) == f"{'a':<4} {'b':>3}" == "a      b"
    assert messages.columns(("画素", 4, False), ("秒", 3, True)) == "画素  秒"           # 4 + 1 + (1 + 2) columns
    assert messages.columns(("x", 2, False), ("枚数", 3, True), ("y", 2, True)) == "x 枚数  y"   # 枚数 takes a space


@pytest.mark.parametrize("lang", LANGS)
def test_say_takes_an_inline_entry_of_the_catalogues_shape_and_never_reads_a_field_out_of_a_value(monkeypatch, lang):
    monkeypatch.setenv(messages.LANG_ENV, lang)
    hint = {"en": "{answer!r} is not a type; {n} left", "ja": "{answer!r} は種類ではありません。残り {n}"}
    said = say(hint, answer="{n} {0} {__class__}", n=2)        # a student's answer with braces stays as typed
    assert said == hint[lang].format(answer="{n} {0} {__class__}", n=2) and "'{n} {0} {__class__}'" in said
    assert say("check_wrong", hint=said) == MESSAGES["check_wrong"][lang].format(hint=said)


def _lecture_errors(cls=None) -> set[str]:
    """The names of every kind of `errors.LectureError` (its subclasses, imported where they live)."""
    import lecture_utils.anogan.published  # noqa: F401  (every module that defines one)
    import lecture_utils.data.sources  # noqa: F401
    import lecture_utils.outputs  # noqa: F401
    from lecture_utils import errors
    cls = cls or errors.LectureError
    return {sub.__name__ for sub in cls.__subclasses__()} | {n for sub in cls.__subclasses__() for n in _lecture_errors(sub)}


def _named_messages():
    """(where, key, keywords or None when a **mapping is passed) of every literal catalogue key the code
    passes to say, tell, expect or a LectureError."""
    import ast
    from pathlib import Path
    root = Path(__file__).resolve().parents[1]
    kinds = _lecture_errors()
    for path in sorted([*(root / "lecture_utils").rglob("*.py"), *(root / "lecturer" / "lecture_tools").rglob("*.py")]):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not isinstance(node, ast.Call):
                continue
            name = getattr(node.func, "id", getattr(node.func, "attr", ""))
            at = 1 if name == "expect" else 0 if name in {"say", "tell", *kinds} else None
            if at is None or len(node.args) <= at:
                continue
            key = node.args[at]
            if isinstance(key, ast.Constant) and isinstance(key.value, str):
                keywords = None if any(k.arg is None for k in node.keywords) else {k.arg for k in node.keywords}
                yield f"{path.relative_to(root)}:{node.lineno}", key.value, keywords


def test_every_message_the_code_names_is_in_the_catalogue_and_gets_its_fields():
    """A key mistyped, or a field left out, would fail only when the line is said (for an error: when
    it is shown, inside the error's own message): here it fails first."""
    named = list(_named_messages())
    assert len(named) > 120
    problems = [f"{where}: {key} is not in the catalogue" for where, key, _ in named if key not in MESSAGES]
    problems += [f"{where}: {key} lacks {sorted(fields(MESSAGES[key]['en']) - given)}" for where, key, given in named
                 if key in MESSAGES and given is not None and not fields(MESSAGES[key]["en"]) <= given]
    assert problems == []
