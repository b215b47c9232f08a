"""`python -m lecture_tools anogan train/evaluate` on a tiny MVTec-layout folder."""
import json

import numpy as np
import pytest
import torch
from PIL import Image

from lecture_tools import anogan_cli as cli_anogan
from lecture_tools import cli
from lecture_utils.checkpoint import load_checkpoint, save_checkpoint


@pytest.fixture(scope="module")
def folder(tmp_path_factory):
    root = tmp_path_factory.mktemp("digits")
    rng = np.random.default_rng(0)
    for split, kind, n, bright in [("train", "good", 12, 0), ("test", "good", 3, 0), ("test", "two", 3, 200)]:
        d = root / split / kind
        d.mkdir(parents=True)
        for i in range(n):
            a = rng.integers(0, 50, (28, 28)).astype(np.uint8)
            a[10:18, 10:18] = bright
            Image.fromarray(a, "L").save(d / f"{i:03d}.png")
    return root


@pytest.fixture(scope="module")
def weights(folder, tmp_path_factory):
    out = tmp_path_factory.mktemp("w") / "anogan.pt"
    rc = cli.main(["anogan", "train", "--data", str(folder), "--epochs", "1", "--encoder-epochs", "1",
                   "--out", str(out)])
    assert rc == 0 and out.is_file()
    return out


def test_evaluate_writes_json(folder, weights, tmp_path, capsys):
    out = tmp_path / "r.json"
    rc = cli.main(["anogan", "evaluate", "--data", str(folder), "--weights", str(weights),
                   "--iterations", "2", "--json", str(out)])
    assert rc == 0
    report = json.loads(out.read_text())
    assert 0 <= report["image_auroc"] <= 1 and 0 <= report["encoder_auroc"] <= 1
    assert report["n_images"] == 6 and report["seconds"] > 0


def test_without_encoder_the_encoder_auroc_is_null(folder, weights, tmp_path):
    state = load_checkpoint(weights)
    state["E"] = None
    path = save_checkpoint(state, tmp_path / "no_e.pt")
    out = tmp_path / "r.json"
    assert cli.main(["anogan", "evaluate", "--data", str(folder), "--weights", str(path),
                     "--iterations", "1", "--json", str(out)]) == 0
    assert json.loads(out.read_text())["encoder_auroc"] is None


def test_bad_inputs_give_one_line_errors(folder, tmp_path, capsys):
    assert cli.main(["anogan", "train", "--data", str(tmp_path / "missing"), "--out", str(tmp_path / "w.pt")]) == 2
    assert "data folder not found" in capsys.readouterr().err
    save_checkpoint({"model": {}}, tmp_path / "other.pt")
    assert cli.main(["anogan", "evaluate", "--data", str(folder), "--weights", str(tmp_path / "other.pt")]) == 2
    assert "not an AnoGAN weights file" in capsys.readouterr().err


def test_weights_for_another_architecture_are_refused(tmp_path):
    save_checkpoint({"G": {"x": torch.zeros(1)}, "D": {}}, tmp_path / "w.pt")
    with pytest.raises(ValueError, match="do not fit Generator"):
        cli_anogan.load_models(tmp_path / "w.pt")
