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
import re

LANG_ENV = "LECTURE_UTILS_LANG"
LANGS = ("en", "ja")

# Running a lecture: device, training, weights.
_RUNTIME = {
    "device": {
        "en": "device: {device}",
        "ja": "計算デバイス: {device}",
    },
    "device_reduced": {
        "en": "device: {device} | reduced settings (LECTURE_UTILS_REDUCED): fewer epochs, steps and images",
        "ja": "計算デバイス: {device}（縮小設定 LECTURE_UTILS_REDUCED: エポック数、ステップ数、画像数を減らしています）",
    },
    "slow_cpu": {
        "en": "Training at full settings on the CPU takes minutes per model (seconds on a GPU). In Colab "
              "choose Runtime > Change runtime type > GPU (e.g. T4) and run the notebook again.",
        "ja": "CPU で本来の設定のまま学習すると、モデルごとに数分かかります（GPU なら数秒）。Colab では"
              "［ランタイム］>［ランタイムのタイプを変更］> GPU（T4 など）を選び、ノートブックを実行し直してください。",
    },
    "lecture_weights": {
        "en": "loaded the lecture's trained_model.pt (set TRAIN = True to train instead): {path}",
        "ja": "講義の trained_model.pt を読み込みました（自分で学習するには TRAIN = True）: {path}",
    },
    "cache_folder": {
        "en": "cache folder (downloads, generated data sets, weights): {path}",
        "ja": "キャッシュフォルダ（ダウンロード、生成したデータセット、重み）: {path}",
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
        "en": "{what}: continuing from epoch {epoch} of {epochs} ({path})",
        "ja": "{what}: {path} のエポック {epoch} から続けて、{epochs} エポックまで学習します",
    },
    "finished": {
        "en": "{what}: already trained with these settings and data ({epochs} epochs), loaded from {path}",
        "ja": "{what}: 同じ設定とデータで学習済みです（{epochs} エポック）。{path} から読み込みました",
    },
    "stopped": {
        "en": "{what} training stopped in epoch {epoch}; the last checkpoint (epoch {saved}) is {path}: "
              "run the same cell or command again to resume",
        "ja": "{what} の学習がエポック {epoch} で止まりました。最後のチェックポイント（エポック {saved}）は "
              "{path} です。同じセルかコマンドをもう一度実行すると再開します",
    },
    "stopped_early": {
        "en": "{what} training stopped before its first checkpoint was written; run the same cell or command "
              "again to start",
        "ja": "{what} の学習が最初のチェックポイントを書く前に止まりました。同じセルかコマンドをもう一度実行すると"
              "最初から始めます",
    },
    "no_widgets": {
        "en": "(ipywidgets is not installed: the figure above shows the default values; "
              "pip install ipywidgets for sliders)",
        "ja": "（ipywidgets がないため、上の図は既定値のものです。スライダーを使うには pip install ipywidgets）",
    },
    "bar_projection": {"en": "projection", "ja": "射影"},
    "bar_search": {"en": "latent search", "ja": "潜在変数の探索"},
    "bar_encoder": {"en": "encoder", "ja": "エンコーダ"},
    "bar_synthetic": {"en": "synthetic capsule", "ja": "合成カプセル"},
    "check_plausible": {
        "en": "Plausible: {detail} Only the grader checks the value itself.",
        "ja": "妥当な値です: {detail} 値そのものは採点で確かめます。",
    },
    "env_switch": {
        "en": "{name}={value!r} is neither on (1, true, yes, on) nor off (0, false, no, off or empty)",
        "ja": "{name}={value!r} はオン（1, true, yes, on）でもオフ（0, false, no, off または空）でもありません",
    },
    "env_not_folder": {
        "en": "{name}={path} is not a usable folder ({why}); set {name} to a folder, or unset it",
        "ja": "{name}={path} は使えるフォルダではありません（{why}）。{name} にフォルダを設定するか、設定を外してください",
    },
}

# Homework checks: the lines every check shares (each exercise's hints stay beside its check).
_CHECKS = {
    "check_right": {"en": "Correct: {detail}", "ja": "正解: {detail}"},
    "check_wrong": {"en": "Not yet: {hint}", "ja": "まだです: {hint}"},
    "check_blank": {"en": "Not answered yet.", "ja": "まだ解答されていません。"},
    "check_raised": {"en": "your code raised {error}", "ja": "コードがエラーを出しました: {error}"},
    "check_unreadable": {"en": "could not check the answer ({error})", "ja": "解答を確認できませんでした（{error}）"},
}

# The data: which source a notebook uses, and why it fell back (data/sources.py, data/download.py).
_DATA = {
}

MESSAGES = {**_RUNTIME, **_CHECKS, **_DATA}


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


def _longest_words(template: str) -> str:
    """The longest literal stretch of a template (between its {fields})."""
    return max((part.strip() for part in re.split(r"\{[^}]*\}", template)), key=len)


def english_in(text: str) -> list[str]:
    """Keys whose English line (its longest literal stretch, if sentence-like: a space and 12+
    characters) appears in ``text``: what a Japanese notebook's output must never contain."""
    return sorted(key for key, m in MESSAGES.items()
                  if " " in (words := _longest_words(m["en"])) and len(words) >= 12 and words in text)
