"""Every line the package prints to a notebook user, in English and Japanese: one catalogue.

``say(key, **fields)`` returns the line of ``key`` in the notebook's language, ``tell(key, **fields)``
prints it. The language is ``$LECTURE_UTILS_LANG`` ("ja" or "en", the default), which the first code
cell of each notebook sets (``notebooks/build.py`` writes it). Figures keep ASCII text (matplotlib has
no Japanese font by default); the command line stays English (it never sets the variable).

``tests/test_messages.py`` checks that every key has both languages with the same fields, and the
nbval run checks that no English line of this catalogue appears in a Japanese notebook's output
(``tests/conftest.py``).
"""
from __future__ import annotations

import os

LANG_ENV = "LECTURE_UTILS_LANG"
LANGS = ("en", "ja")

# Running a lecture: device, training, weights.
_RUNTIME = {
    "device": {
        "en": "device: {device} | reduced settings: {reduced}",
        "ja": "計算デバイス: {device}（縮小設定: {reduced}）",
    },
    "slow_cpu": {
        "en": "Training at full settings on the CPU takes minutes per model (seconds on a GPU). In Colab "
              "choose Runtime > Change runtime type > GPU (e.g. T4) and run the notebook again.",
        "ja": "CPU で本来の設定のまま学習すると、モデルごとに数分かかります（GPU なら数秒）。Colab では "
              "［ランタイム］>［ランタイムのタイプを変更］> GPU（T4 など）を選び、ノートブックを実行し直してください。",
    },
    "lecture_weights": {
        "en": "loaded the lecture's trained_model.pt (set TRAIN = True to train instead): {path}",
        "ja": "講義の trained_model.pt を読み込みました（自分で学習するには TRAIN = True）: {path}",
    },
    "weights": {
        "en": "weights: {path}",
        "ja": "重み: {path}",
    },
    "trained": {
        "en": "training took {seconds:.0f} s (cached in {name})",
        "ja": "学習時間 {seconds:.0f} 秒（{name} に保存）",
    },
    "resumed": {
        "en": "resuming {path} at epoch {epoch} of {epochs}",
        "ja": "{path} の続きから学習します（{epochs} エポック中 {epoch} エポック完了）",
    },
    "finished": {
        "en": "already trained: {path} ({epochs} epochs); loaded, not retrained",
        "ja": "学習済みの重みを読み込みました: {path}（{epochs} エポック）",
    },
    "no_widgets": {
        "en": "(ipywidgets is not installed: the figure above shows the default values; "
              "pip install ipywidgets for sliders)",
        "ja": "（ipywidgets がないため、上の図は既定値のものです。スライダーを使うには pip install ipywidgets）",
    },
}

# The data: which source a notebook uses, and why it fell back (data/sources.py, data/download.py).
_DATA = {
}

MESSAGES = {**_RUNTIME, **_DATA}


def language() -> str:
    """'ja' or 'en' (the default): the language of the notebook that runs this code."""
    return "ja" if os.environ.get(LANG_ENV, "").strip().lower() == "ja" else "en"


def say(key: str, **fields) -> str:
    """The message ``key`` in the notebook's language, with ``fields`` filled in."""
    return MESSAGES[key][language()].format(**fields)


def tell(key: str, **fields) -> str:
    """Print the message ``key`` (one line) in the notebook's language; return it."""
    line = say(key, **fields)
    print(line)
    return line
