"""benchmarks/lecture_archive_layout.py rebuilds the lecture archive's layout that DATA = "auto" picks offline."""
import numpy as np
import pytest
import torch
from PIL import Image

from lecture_utils import config
from lecture_utils.data import sources, synthetic
from lecture_utils.data.synthetic import CapsuleSpec
from lecture_utils.vae.model import VAE, load_vae

from conftest import benchmark_script


@pytest.fixture(scope="module")
def layout():
    return benchmark_script("lecture_archive_layout")


def test_the_rebuilt_archive_is_what_auto_and_lecture_weights_pick(layout, tmp_path):
    tiny = CapsuleSpec(n_train=2, n_test_good=1, n_test_defect=1, size=16, seed=0)
    capsule = synthetic.write_synthetic_capsule(tmp_path / "cap", tiny, progress=False)
    model = VAE(z_dim=4, input_c=3)
    torch.save({"model": model.state_dict(), "epoch": 3}, tmp_path / "ckpt.pt.partial")   # our checkpoint's shape
    layout.main([str(capsule), str(tmp_path / "out"), "--size", "40",
                 "--weights", str(tmp_path / "ckpt.pt.partial"), "--cache", str(config.data_dir())])

    root, name = sources.capsule("auto")
    assert name == "lecture" and root.parts[-2:] == ("anomaly_detection_data", "capsule")
    originals = sorted(p.relative_to(capsule) for p in capsule.rglob("*.png"))
    assert sorted(p.relative_to(root) for p in root.rglob("*.png")) == originals
    assert {Image.open(p).size for p in root.rglob("*.png")} == {(40, 40)}
    mask = next((root / "ground_truth").rglob("*_mask.png"))
    assert set(np.unique(np.array(Image.open(mask)))) <= {0, 255}      # nearest: still a binary mask
    weights = sources.lecture_weights()
    saved = torch.load(weights, weights_only=True)                     # a plain state_dict, as the seed's
    assert set(saved) == set(model.state_dict()) and load_vae(weights, "cpu").z_dim == 4
