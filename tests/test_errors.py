"""The package's errors carry a catalogue key and fields, not text: said when shown, in the language
of that moment (a Japanese notebook's line in Japanese, the command line's in English), one line in
IPython, and each of the built-in kind its callers catch."""
import pickle
import re

import pytest

from lecture_utils import checkpoint, config, errors, messages, outputs
from lecture_utils.data import download, mvtec, sources

ANSI = re.compile(r"\x1b\[[0-9;]*m")
JAPANESE = re.compile(r"[\u3040-\u30ff\u4e00-\u9fff]")
KINDS = [   # (the error, a message of it, the built-in exception an `except` of its callers names)
    (mvtec.DatasetError("no_train_good", folder="/x"), "/x holds no train/good folder", ValueError),
    (download.DownloadError("cache_is_file", folder="/x"), "the cache folder /x is a file", OSError),
    (checkpoint.ResumeError("resume_not_ours", path="/x.pt", writer="train_vae"), "not a checkpoint written by", ValueError),
    (checkpoint.CheckpointError("not_state_dict", got="list"), "expected a state_dict, got list", ValueError),
    (checkpoint.NoCheckpoint("no_checkpoint", path="/x.pt", unfinished=""), "no checkpoint at /x.pt", FileNotFoundError),
    (outputs.OutputError("output_exists", path="/x"), "/x exists; it is never overwritten", ValueError),
    (errors.SettingError("device_no_mps"), "Apple's MPS is not available here", ValueError),
    (errors.Diverged("nan_vae"), "VAE loss became NaN/inf", FloatingPointError),
    (errors.Stopped("stopped_early", what="VAE"), "VAE training stopped before", KeyboardInterrupt),
    (sources.NotInColab("drive_outside_colab"), "use_drive() needs Google Colab", RuntimeError),
]


@pytest.mark.parametrize("error, english, kind", KINDS, ids=[type(k[0]).__name__ for k in KINDS])
def test_an_error_is_said_in_the_language_it_is_shown_in_and_stays_its_builtin_kind(monkeypatch, error, english, kind):
    monkeypatch.delenv(messages.LANG_ENV, raising=False)               # the command line: English
    assert isinstance(error, kind) and english in str(error) and not JAPANESE.search(str(error))
    monkeypatch.setenv(messages.LANG_ENV, "ja")                        # the same error in a Japanese notebook
    [line] = error._render_traceback_()
    assert ANSI.sub("", line).startswith(f"{type(error).__name__}: ") and JAPANESE.search(line) and "\n" not in line
    assert str(error) == messages.MESSAGES[error.message]["ja"].format(**error.fields)
    copy = pickle.loads(pickle.dumps(error))                           # a copy keeps its key and fields
    assert type(copy) is type(error) and str(copy) == str(error)


def test_ctrl_c_stays_outside_except_exception():
    assert not isinstance(errors.Stopped("stopped_early", what="VAE"), Exception)


def test_a_failure_raised_in_english_reads_japanese_in_a_japanese_notebook(monkeypatch, tmp_path):
    monkeypatch.delenv(messages.LANG_ENV, raising=False)
    with pytest.raises(ValueError) as device:
        config.pick_device("tpu")
    with pytest.raises(mvtec.DatasetError) as data:
        mvtec.index_split(tmp_path / "nowhere", "train")
    assert str(device.value) == "unknown device 'tpu': choose one of auto, cpu, cuda, mps"
    assert str(data.value) == f"data folder not found: {tmp_path / 'nowhere'}"
    monkeypatch.setenv(messages.LANG_ENV, "ja")
    assert str(device.value) == "'tpu' というデバイスはありません。auto, cpu, cuda, mps のどれかを選んでください"
    assert str(data.value) == f"データフォルダが見つかりません: {tmp_path / 'nowhere'}"


@pytest.mark.parametrize("lang, said", [
    ("en", "VAE loss became NaN/inf in epoch 2; the last finite weights (epoch 1) are in {path} (try a lower --lr)"),
    ("ja", "エポック 2 の学習中に、VAE の損失が NaN/inf になりました。最後の有限な重み（エポック 1）は {path} にあります"
           "（--lr を下げてみてください）")])
def test_a_nan_names_its_epoch_and_the_last_checkpoint(monkeypatch, tmp_path, lang, said):
    from dataclasses import dataclass

    @dataclass
    class Config:
        epochs: int = 3

    monkeypatch.setenv(messages.LANG_ENV, lang)
    run = checkpoint.Checkpointer(tmp_path / "w.pt", Config(), None, "VAE", "test", hint="nan_hint_lr")
    run.start({}, [])
    with pytest.raises(FloatingPointError) as nan:
        with run.guard():
            for epoch in run.epochs():
                if epoch == 1:
                    raise errors.Diverged("nan_vae")
    assert str(nan.value) == said.format(path=checkpoint.partial_path(tmp_path / "w.pt"))


def test_a_fallback_line_names_what_failed_in_one_clause():
    failed = download.DownloadError("download_failed", what="x.zip", reason="no network", how="By hand: ...")
    assert errors.clause(failed) == "no network"                      # a download's reason, not how to go on
    unpacked = download.DownloadError("unpack_failed", file="x.zip", reason="could not unpack x.zip into y (full)")
    assert errors.clause(unpacked) == "could not unpack x.zip into y (full)"
    assert errors.clause(mvtec.DatasetError("no_train_good", folder="/x")) == str(mvtec.DatasetError(
        "no_train_good", folder="/x"))                                 # no reason: the whole one-clause message
    assert errors.clause(OSError("Disk full. Try again.")) == "Disk full"
