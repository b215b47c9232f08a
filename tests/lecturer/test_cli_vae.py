"""``python -m lecture_tools vae train|evaluate`` on a tiny grayscale MVTec-layout folder."""
import json

import numpy as np
import pytest
from PIL import Image

from lecture_tools.cli import main


def write(path, array):
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(array).save(path)


@pytest.fixture
def folder(tmp_path):
    rng = np.random.default_rng(0)
    root = tmp_path / "toy"
    for i in range(4):
        write(root / "train" / "good" / f"{i:03d}.png", rng.integers(90, 110, (32, 32), dtype=np.uint8))
    for i in range(2):
        write(root / "test" / "good" / f"{i:03d}.png", rng.integers(90, 110, (32, 32), dtype=np.uint8))
        img = rng.integers(90, 110, (32, 32), dtype=np.uint8)
        img[8:16, 8:16] = 255
        write(root / "test" / "spot" / f"{i:03d}.png", img)
        mask = np.zeros((32, 32), np.uint8); mask[8:16, 8:16] = 255
        write(root / "ground_truth" / "spot" / f"{i:03d}_mask.png", mask)
    return root


def test_train_then_evaluate_writes_the_report(folder, tmp_path, capsys):
    weights, out = tmp_path / "w.pt", tmp_path / "report.json"
    assert main(["vae", "train", "--data", str(folder), "--epochs", "1", "--out", str(weights),
                 "--z-dim", "4", "--batch-size", "2", "--device", "cpu"]) == 0
    assert main(["vae", "evaluate", "--data", str(folder), "--weights", str(weights), "--iterations", "2",
                 "--json", str(out), "--device", "cpu"]) == 0
    report = json.loads(out.read_text())
    assert {"image_auroc", "pixel_auroc", "per_defect", "comparison", "seconds"} <= set(report)
    assert set(report["comparison"]) == {"residual", "lecture", "kl"}
    assert set(report["per_defect"]) == {"spot"} and 0 <= report["pixel_auroc"] <= 1
    assert set(report["per_defect"]["spot"]) >= {"image_auroc", "pixel_auroc"}
    assert "pixel AUROC" in capsys.readouterr().out


def test_pixel_auroc_is_null_without_masks(folder, tmp_path):
    import shutil
    shutil.rmtree(folder / "ground_truth")
    weights, out = tmp_path / "w.pt", tmp_path / "report.json"
    main(["vae", "train", "--data", str(folder), "--epochs", "1", "--out", str(weights), "--z-dim", "4",
          "--device", "cpu"])
    assert main(["vae", "evaluate", "--data", str(folder), "--weights", str(weights), "--iterations", "1",
                 "--methods", "residual", "--json", str(out), "--device", "cpu"]) == 0
    report = json.loads(out.read_text())
    assert report["pixel_auroc"] is None and report["image_auroc"] is not None


def test_clear_errors(folder, tmp_path, capsys):
    assert main(["vae", "train", "--data", str(tmp_path / "missing"), "--epochs", "1",
                 "--out", str(tmp_path / "w.pt")]) == 2
    assert "data folder not found" in capsys.readouterr().err
    (tmp_path / "junk.pt").write_bytes(b"not a checkpoint")
    assert main(["vae", "evaluate", "--data", str(folder), "--weights", str(tmp_path / "junk.pt")]) == 2
    assert "not a readable PyTorch checkpoint" in capsys.readouterr().err


def test_load_vae_reads_a_bare_state_dict_like_the_lectures(tmp_path):
    import torch

    from lecture_utils.vae.model import VAE, load_vae
    torch.save(VAE(z_dim=4, input_c=1).state_dict(), tmp_path / "trained_model.pt")
    model = load_vae(tmp_path / "trained_model.pt", "cpu")
    assert (model.z_dim, model.input_c, model.training) == (4, 1, False)
    torch.save({"weights": 1}, tmp_path / "other.pt")
    with pytest.raises(ValueError, match="lecture's VAE"):
        load_vae(tmp_path / "other.pt", "cpu")


def test_evaluate_scores_are_the_package_s_and_the_top_percent_one_says_so(folder, capsys):
    from lecture_utils.vae.localization import SCORES
    assert SCORES == ("max", "mean", "mean_top1pct")
    with pytest.raises(SystemExit):
        main(["vae", "evaluate", "--data", str(folder), "--weights", "w.pt", "--score", "top1"])
    assert "invalid choice: 'top1'" in capsys.readouterr().err
