"""Every line the package prints to a notebook user, in English and Japanese: one catalogue.

``say(key, **fields)`` returns the line of ``key`` in the notebook's language, ``tell(key, **fields)``
prints it. The language is ``$LECTURE_UTILS_LANG`` ("ja" or "en", the default), which the first code
cell of each notebook sets (``notebooks/build.py`` writes it). Figures keep ASCII text (matplotlib has
no Japanese font by default); the command line stays English (it never sets the variable).

``tests/test_messages.py`` checks that every key has both languages with the same fields, and the
nbval run checks that no English line of this catalogue appears in a Japanese notebook's output
(``notebooks/conftest.py``).
"""
from __future__ import annotations

import os
import re
import unicodedata

from .messages_results import RESULTS

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
        "en": "{what}: training took {seconds:.0f} s (cached in {name})",
        "ja": "{what}: 学習時間 {seconds:.0f}秒（{name} に保存）",
    },
    "resumed": {
        "en": "{what}: continuing from epoch {epoch} of {epochs} ({path})",
        "ja": "{what}: {path} のエポック {epoch} から続けて、{epochs}エポックまで学習します",
    },
    "weights_published": {
        "en": "The lecturer's published weights ({origin}) fit these settings and data: copied to {path}, "
              "loaded instead of trained (TRAIN = True trains here).",
        "ja": "講師が公開した重み（{origin}）がこの設定とデータに合うので、{path} にコピーし、学習せずに"
              "読み込みます（ここで学習するには TRAIN = True）。",
    },
    "origin_release": {
        "en": "release {tag}, downloaded from {url}",
        "ja": "リリース {tag}、{url} からダウンロード",
    },
    "origin_mirror": {
        "en": "downloaded from the mirror {url} set in ${env}",
        "ja": "${env} に設定されたミラー {url} からダウンロード",
    },
    "origin_cache": {
        "en": "the archive {path} already in the cache",
        "ja": "キャッシュにあったアーカイブ {path}",
    },
    "weights_other": {
        "en": "The published weights belong to other data or settings than {name}; training here.",
        "ja": "公開された重みは {name} とは別のデータか設定のものです。ここで学習します。",
    },
    "weights_failed": {
        "en": "The published weights could not be used ({reason}); training here.",
        "ja": "公開された重みを使えませんでした（{reason}）。ここで学習します。",
    },
    "weights_mismatch": {
        "en": "{name} does not match {manifest}: the archive is damaged, none of it is used",
        "ja": "{name} が {manifest} と一致しません。アーカイブが壊れているので、どのファイルも使いません",
    },
    "finished": {
        "en": "{what}: already trained with these settings and data ({epochs} epochs), loaded from {path}",
        "ja": "{what}: 同じ設定とデータで学習済みです（{epochs}エポック）。{path} から読み込みました",
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
        "ja": "妥当な値です: {detail}値そのものは採点で確かめます。",  # {detail} ends with 。
    },
    "env_switch": {
        "en": "{name}={value!r} is neither on (1, true, yes, on) nor off (0, false, no, off or empty)",
        "ja": "{name}={value!r} はオン（1、true、yes、on）でもオフ（0、false、no、off または空）でもありません",
    },
    "why_missing": {"en": "it does not exist", "ja": "存在しません"},
    "why_no_train_good": {"en": "it holds no train/good folder", "ja": "train/good フォルダがありません"},
    "why_a_file": {"en": "it is a file", "ja": "ファイルです"},
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
    "bad_choice": {
        "en": "{variable} must be one of {allowed}, got {choice}",
        "ja": "{variable} は {allowed} のどれかにしてください（{choice} が指定されました）",
    },
    "drive_outside_colab": {
        "en": "use_drive() needs Google Colab; elsewhere set LECTURE_UTILS_DATA to a folder",
        "ja": "use_drive() は Google Colab 専用です。それ以外では LECTURE_UTILS_DATA にフォルダを指定してください",
    },
    "reason_timeout": {
        "en": "no answer within {seconds:g} s",
        "ja": "{seconds:g}秒以内に応答がありません",
    },
    "reason_offline": {
        "en": "no network",
        "ja": "ネットワークにつながりません",
    },
    "reason_drive": {
        "en": "Google Drive refused the file",
        "ja": "Google ドライブがファイルを渡しませんでした（ダウンロード上限など）",
    },
    "reason_web_page": {
        "en": "Google Drive sent its quota page",
        "ja": "Google ドライブから上限の案内ページが届きました",
    },
    "reason_status": {
        "en": "HTTP {status} from the server",
        "ja": "サーバーの応答が HTTP {status} でした",
    },
    "reason_broken": {
        "en": "the connection broke off",
        "ja": "接続が途中で切れました",
    },
    "reason_tls": {
        "en": "no secure (TLS) connection",
        "ja": "安全な接続（TLS）を確立できませんでした",
    },
    "reason_damaged": {
        "en": "a damaged or cut-off file",
        "ja": "ファイルが壊れているか途中で切れています",
    },
    "reason_unsafe": {
        "en": "a member would be written outside its folder",
        "ja": "フォルダの外に書き出されるファイルが含まれています",
    },
    "reason_html": {
        "en": "the server sent a web page, not the archive",
        "ja": "サーバーからアーカイブではなく Web ページが届きました",
    },
    "reason_md5": {
        "en": "its MD5 is not the published {md5}",
        "ja": "MD5 が公開値 {md5} と一致しません",
    },
    "reason_members": {
        "en": "the archive lacks {missing}",
        "ja": "アーカイブに {missing} がありません",
    },
    "reason_corrupt_member": {
        "en": "its member {member} is corrupt",
        "ja": "中のファイル {member} が壊れています",
    },
    "reason_not_archive": {
        "en": "not a zip or tar archive",
        "ja": "zip や tar のアーカイブではありません",
    },
    "reason_unknown": {
        "en": "no details",
        "ja": "詳細不明",
    },
    "download_wait": {
        "en": "Downloading {what} from {host} (gives up if the server sends nothing for {seconds:g} s) ...",
        "ja": "{host} から {what} をダウンロードします（サーバーから{seconds:g}秒間何も届かなければ中止します）…",
    },
    "download_failed": {
        "en": "could not download {what}: {reason}.",
        "ja": "{what} をダウンロードできませんでした: {reason}。",
    },
    "unusable": {
        "en": "{path} is not a usable {what} ({reason}); it was deleted.",
        "ja": "{path} は使える {what} ではないため削除しました（{reason}）。",
    },
    "by_hand": {
        "en": "By hand: download {what} from {url} in a browser, save it in {folder}, then run again.",
        "ja": "手動で入手するには、ブラウザで {url} から {what} をダウンロードして {folder} に保存し、"
              "もう一度実行してください。",
    },
    "by_hand_colab": {
        "en": "By hand: download {what} from {url} in a browser, upload it into the folder {folder} with "
              "the Files panel on the left, then run again.",
        "ja": "手動で入手するには、ブラウザで {url} から {what} をダウンロードし、左の「ファイル」パネルで"
              "フォルダ {folder} にアップロードしてから、もう一度実行してください。",
    },
    "offline_capsule": {
        "en": "Offline, DATA = \"synthetic\" uses the synthetic capsule.",
        "ja": "オフラインでは DATA = \"synthetic\" で合成カプセルを使えます。",
    },
    "offline_digits": {
        "en": "Offline, DATA = \"bundled\" uses scikit-learn's bundled digits.",
        "ja": "オフラインでは DATA = \"bundled\" で scikit-learn 付属の数字画像を使えます。",
    },
    "not_ours": {
        "en": "{folder} exists but was not unpacked by lecture_utils (no {marker} file in it); move it away "
              "and run again, or if it is complete, create an empty file {marker} in it",
        "ja": "{folder} がありますが lecture_utils が展開したものではありません（{marker} ファイルがない）。"
              "別の場所へ移してもう一度実行するか、中身がそろっているなら空のファイル {marker} をその中に作ってください",
    },
    "unpack_failed": {
        "en": "could not unpack {file} into {folder} ({reason}). Delete {file} and run again, or unpack it "
              "there by hand.",
        "ja": "{file} を {folder} に展開できませんでした（{reason}）。{file} を削除してもう一度実行するか、"
              "手動でそこに展開してください。",
    },
    "no_train_good": {
        "en": "{folder} holds no train/good folder; delete it and download again",
        "ja": "{folder} に train/good フォルダがありません。削除してダウンロードし直してください",
    },
    "idx_unreadable": {
        "en": "cannot read the MNIST file {path} ({reason})",
        "ja": "MNIST のファイル {path} を読めません（{reason}）",
    },
    "idx_header_images": {
        "en": "{path} is not an MNIST idx image file (bad header)",
        "ja": "{path} は MNIST の idx 画像ファイルではありません（ヘッダーが不正）",
    },
    "idx_header_labels": {
        "en": "{path} is not an MNIST idx label file (bad header)",
        "ja": "{path} は MNIST の idx ラベルファイルではありません（ヘッダーが不正）",
    },
    "idx_shape": {
        "en": "{path} holds {height}x{width} images, not MNIST's 28x28",
        "ja": "{path} の画像は {height}x{width} で、MNIST の 28x28 ではありません",
    },
    "idx_size": {
        "en": "{path} is truncated or padded: {size} bytes, its header says {expected}",
        "ja": "{path} は途中で切れているか余分なデータがあります（{size} バイト、ヘッダーでは {expected} バイト）",
    },
    "idx_counts": {
        "en": "{folder}: {images} {split} images but {labels} labels",
        "ja": "{folder}: {split} の画像 {images}枚に対してラベルが {labels}個です",
    },
    "removed_corrupt": {
        "en": "note: removed a corrupt MNIST cache entry ({reason})",
        "ja": "注意: キャッシュ内の壊れた MNIST ファイルを削除しました（{reason}）",
    },
    "mnist_not_in": {
        "en": "no MNIST files in {root}: expected {first}(.gz) and the three others",
        "ja": "{root} に MNIST のファイルがありません。{first}(.gz) とほかの3つが必要です",
    },
    "mnist_not_found": {
        "en": "MNIST not found in {cache} (nor ${env}); pass download=True (CLI: --download) or put the four "
              "idx .gz files in {raw}",
        "ja": "{cache} に MNIST がありません（${env} にもありません）。download=True を指定する（CLI では "
              "--download）か、4つの idx .gz ファイルを {raw} に置いてください",
    },
    "mnist_incomplete": {
        "en": "the downloaded files are incomplete",
        "ja": "ダウンロードしたファイルがそろっていません",
    },
    "capsule_off": {
        "en": "Using the synthetic capsule (no real capsule in {folder}, and downloads are off outside "
              "Colab). For the real data: set DATA = 'lecture' or {env}=1.",
        "ja": "合成カプセルを使います（{folder} に実データがなく、Colab 以外ではダウンロードしません）。"
              "実データを使うには DATA = 'lecture' か {env}=1 を設定してください。",
    },
    "capsule_failed": {
        "en": "Synthetic capsule used ({reason}). Real data: {how}",
        "ja": "合成カプセルを使います（{reason}）。実データを使うには、{how}",
    },
    "digits_off": {
        "en": "Using scikit-learn's bundled 8x8 digits (no MNIST in {folder}, and downloads are off outside "
              "Colab). For MNIST: set {variable} = 'mnist' or {env}=1.",
        "ja": "scikit-learn 付属の 8x8 の数字画像を使います（{folder} に MNIST がなく、Colab 以外ではダウンロード"
              "しません）。MNIST を使うには {variable} = 'mnist' か {env}=1 を設定してください。",
    },
    "digits_failed": {
        "en": "Bundled digits used ({reason}). MNIST: {how}",
        "ja": "付属の数字画像を使います（{reason}）。MNIST を使うには、{how}",
    },
    "digits_unreadable": {
        "en": "Using scikit-learn's bundled digits ({reason}).",
        "ja": "scikit-learn 付属の数字画像を使います（{reason}）。",
    },
    "archive_upload": {
        "en": "download {url}, upload it to {folder} (Files panel), rerun.",
        "ja": "{url} をダウンロードし、「ファイル」パネルで {folder} にアップロードして再実行してください。",
    },
    "archive_save": {
        "en": "download {url}, save it in {folder}, rerun.",
        "ja": "{url} をダウンロードして {folder} に保存し、再実行してください。",
    },
    "mnist_upload": {
        "en": "download {files} from {url}, upload them to {folder} (Files panel), rerun.",
        "ja": "{url} から {files} をダウンロードし、「ファイル」パネルで {folder} にアップロードして"
              "再実行してください。",
    },
    "mnist_save": {
        "en": "download {files} from {url}, save them in {folder}, rerun.",
        "ja": "{url} から {files} をダウンロードして {folder} に保存し、再実行してください。",
    },
    "download_start": {
        "en": "Downloading {what}",
        "ja": "{what} をダウンロードしています",
    },
    "download_to": {
        "en": "To: {path}",
        "ja": "保存先: {path}",
    },
    "drive_cache": {
        "en": "cache folder: {folder}",
        "ja": "キャッシュフォルダ: {folder}",
    },
}

MESSAGES = {**_RUNTIME, **_CHECKS, **_DATA, **RESULTS}


def language() -> str:
    """'ja' or 'en' (the default): the language of the notebook that runs this code."""
    return "ja" if os.environ.get(LANG_ENV, "").strip().lower() == "ja" else "en"


def say(key: str, **fields) -> str:
    """The message ``key`` in the notebook's language, with ``fields`` filled in."""
    return MESSAGES[key][language()].format(**fields)


def tell(key: str, **fields) -> None:
    """Print the message ``key`` (one line) in the notebook's language. Returns None, so a cell
    that ends with it shows the line once."""
    print(say(key, **fields))


def width(text: str) -> int:
    """Columns ``text`` takes in a monospaced font: a Japanese (wide) character takes two."""
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def columns(*cells: tuple[str, int, bool]) -> str:
    """A table's header line in the notebook's language: ``cells`` (text, columns, right-aligned)
    placed as the rows' f-string cells of those widths, one space apart, are (a right-aligned cell
    ends where the rows' cell ends); a cell wider than its column takes room from the spaces before it."""
    line, end = "", -1
    for text, cols, right in cells:
        start, end = end + 1, end + 1 + cols
        gap = (end - width(line) - width(text)) if right else (start - width(line))
        line += " " * max(1 if line else 0, gap) + text
    return line


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
