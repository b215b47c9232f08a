"""``python -m lecture_tools data ...``: the commands, and one-line errors without a traceback."""
import json
import subprocess
import sys

import pytest

from lecture_tools import cli
from lecture_utils.data import synthetic
from lecture_utils.data.synthetic import CapsuleSpec

from conftest import closed_port_url
from test_data import litter, make_mvtec


@pytest.fixture(autouse=True)
def cache(tmp_path, monkeypatch):
    monkeypatch.setenv("LECTURE_UTILS_DATA", str(tmp_path / "cache"))
    monkeypatch.delenv("LECTURE_UTILS_MNIST", raising=False)


def test_info_counts_and_ignores_litter(tmp_path, capsys):
    root = make_mvtec(tmp_path / "d")
    assert cli.main(["data", "info", str(root)]) == 0
    out = capsys.readouterr().out
    assert "9 images (16x16 RGB), 4 masks" in out and "train    3  (good 3)" in out
    assert "test     6  (good 2, crack 2, poke 2)" in out
    litter(root)
    assert cli.main(["data", "info", str(root), "--json"]) == 0
    info = json.loads(capsys.readouterr().out)
    assert info["splits"] == {"train": {"good": 3}, "test": {"good": 2, "crack": 2, "poke": 2}}
    assert info["masks"] == 4


def test_missing_folder_is_one_line_without_traceback(tmp_path):
    missing = tmp_path / "nowhere"
    run = subprocess.run([sys.executable, "-m", "lecture_tools", "data", "info", str(missing)],
                         capture_output=True, text=True)
    assert run.returncode == 2
    assert run.stderr.strip() == f"error: data folder not found: {missing}"
    assert "Traceback" not in run.stderr and run.stdout == ""


def test_synthetic_capsule_command(tmp_path, monkeypatch, capsys):
    monkeypatch.setattr(synthetic, "default_spec",
                        lambda seed=0: CapsuleSpec(n_train=2, n_test_good=1, n_test_defect=1, size=64, seed=seed))
    assert cli.main(["data", "synthetic-capsule", str(tmp_path / "cap"), "--seed", "3"]) == 0
    assert "seed 3" in capsys.readouterr().out
    assert cli.main(["data", "info", str(tmp_path / "cap")]) == 0
    assert "8 images (64x64 RGB), 5 masks" in capsys.readouterr().out
    assert synthetic.is_complete(tmp_path / "cap", CapsuleSpec(2, 1, 1, 64, 3))


def test_digits_command_says_which_source(tmp_path, capsys):
    out = tmp_path / "digits"
    assert cli.main(["data", "digits", str(out), "--normal", "1", "--anomaly", "0", "5",
                     "--n-train", "20", "--n-test", "20"]) == 0
    assert "bundled digits" in capsys.readouterr().out
    assert sorted(p.name for p in (out / "test").iterdir()) == ["0", "5", "good"]
    assert len(list((out / "train" / "good").glob("*.png"))) == 20


def test_digits_with_a_wrong_mnist_root_is_a_clear_error(tmp_path, capsys):
    assert cli.main(["data", "digits", str(tmp_path / "o"), "--mnist-root", str(tmp_path)]) == 2
    assert f"error: no MNIST files in {tmp_path}" in capsys.readouterr().err


def test_download_failure_is_one_line(monkeypatch, capsys):
    monkeypatch.setenv("LECTURE_UTILS_ARCHIVE_URL", closed_port_url())     # the real gdown, refused
    assert cli.main(["data", "download", "lecture"]) == 2
    wait, error = capsys.readouterr().err.splitlines(keepends=True)   # what is waited for, then the failure
    assert wait.startswith("Downloading anomaly_detection_data.zip from 127.0.0.1:") and "60 s" in wait
    assert error.startswith("error: could not download anomaly_detection_data.zip: no network.")
