"""MVTec-layout folders: listing, labels, masks, conversions, and a clear error for each bad input."""
from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image

from lecture_utils.data.mvtec import DatasetError, list_images, load_split, summarize


def save(path: Path, array, mode=None) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    img = Image.fromarray(np.asarray(array))
    if mode == "P":
        img = img.convert("P", palette=Image.Palette.ADAPTIVE)
    img.save(path)
    return path


def rgb(value, size=16):
    return np.full((size, size, 3), value, np.uint8)


def make_mvtec(root: Path, n_train=3, n_good=2, defects=("crack", "poke"), n_defect=2, size=16) -> Path:
    for i in range(n_train):
        save(root / "train" / "good" / f"{i:03d}.png", rgb(10 * i, size))
    for i in range(n_good):
        save(root / "test" / "good" / f"{i:03d}.png", rgb(100, size))
    for d in defects:
        for i in range(n_defect):
            save(root / "test" / d / f"{i:03d}.png", rgb(200, size))
            mask = np.zeros((size, size), np.uint8)
            mask[: size // 2, : size // 4] = 255
            save(root / "ground_truth" / d / f"{i:03d}_mask.png", mask)
    return root


def litter(root: Path):
    """Add what file managers and Jupyter leave behind, in every folder."""
    for folder in [root, *[p for p in root.rglob("*") if p.is_dir()]]:
        (folder / ".DS_Store").write_bytes(b"\0\1")
        (folder / "Thumbs.db").write_bytes(b"\0\1")
        (folder / "notes.txt").write_text("not an image")
        ckpt = folder / ".ipynb_checkpoints"
        ckpt.mkdir(exist_ok=True)
        save(ckpt / "000-checkpoint.png", rgb(0))


def test_load_split_gives_images_labels_masks_and_defects(tmp_path):
    root = make_mvtec(tmp_path)
    test = load_split(root, "test", image_size=8, channels=3)
    assert test.images.shape == (6, 3, 8, 8) and test.masks.shape == (6, 1, 8, 8)
    assert test.images.min() >= 0 and test.images.max() <= 1
    assert test.labels.tolist() == [0, 0, 1, 1, 1, 1]
    assert test.defects == ["good", "good", "crack", "crack", "poke", "poke"]
    assert test.masks[:2].sum() == 0 and test.has_masks
    assert torch.equal(test.masks[2, 0], torch.tensor([[1.0] * 2 + [0.0] * 6] * 4 + [[0.0] * 8] * 4))
    train = load_split(root, "train", image_size=8, channels=1)
    assert train.images.shape == (3, 1, 8, 8) and train.labels.sum() == 0
    assert [Path(p).name for p in train.paths] == ["000.png", "001.png", "002.png"]


def test_select_keeps_the_chosen_rows(tmp_path):
    test = load_split(make_mvtec(tmp_path), "test", image_size=8)
    sub = test.select(test.labels == 1)
    assert len(sub) == 4 and sub.defects[0] == "crack" and sub.labels.tolist() == [1] * 4


def test_hidden_files_and_checkpoints_are_ignored(tmp_path):
    root = make_mvtec(tmp_path)
    before = summarize(root)
    litter(root)
    assert summarize(root) == before
    assert len(load_split(root, "test", image_size=8)) == 6


def test_summarize_counts_splits_types_and_masks(tmp_path):
    info = summarize(make_mvtec(tmp_path))
    assert info["splits"] == {"train": {"good": 3}, "test": {"good": 2, "crack": 2, "poke": 2}}
    assert info["masks"] == 4 and info["images"] == 9 and info["image_size"] == [16, 16]


def test_grayscale_rgba_palette_and_16bit_images_are_converted(tmp_path):
    root = tmp_path / "d"
    save(root / "train" / "good" / "a.png", np.full((8, 8), 128, np.uint8))                 # L
    save(root / "train" / "good" / "b.png", np.full((8, 8, 4), 128, np.uint8))              # RGBA
    save(root / "train" / "good" / "c.png", rgb(128, 8), mode="P")                          # palette
    save(root / "train" / "good" / "d.png", np.full((8, 8), 128 * 257, np.uint16))          # 16-bit
    Image.fromarray(rgb(128, 8)).save(root / "train" / "good" / "e.jpg", quality=100)
    for channels in (1, 3):
        x = load_split(root, "train", image_size=8, channels=channels).images
        assert x.shape == (5, channels, 8, 8)
        assert torch.allclose(x, torch.full_like(x, 128 / 255), atol=2 / 255)


def test_masks_with_values_0_and_1_are_read(tmp_path):
    root = make_mvtec(tmp_path, defects=("crack",), n_defect=1)
    mask = np.zeros((16, 16), np.uint8)
    mask[:4] = 1
    save(root / "ground_truth" / "crack" / "000_mask.png", mask)
    test = load_split(root, "test", image_size=16)
    assert test.masks[-1].sum() == 4 * 16


def test_image_level_data_without_ground_truth(tmp_path):
    root = make_mvtec(tmp_path)
    for f in (root / "ground_truth").rglob("*.png"):
        f.unlink()
    for d in sorted((root / "ground_truth").iterdir()):
        d.rmdir()
    (root / "ground_truth").rmdir()
    test = load_split(root, "test", image_size=8)
    assert not test.has_masks and test.masks.sum() == 0 and test.labels.sum() == 4


@pytest.mark.parametrize("case, message", [
    ("missing root", "data folder not found"),
    ("missing split", "has no 'test' folder"),
    ("empty split", "no images found under"),
    ("only non-images", "no images found under"),
    ("missing mask", "has no mask"),
    ("mask of another size", "is 8x8 but its image"),
    ("corrupt image", "cannot read image"),
])
def test_bad_input_names_the_path(tmp_path, case, message):
    root = tmp_path / "capsule"
    if case != "missing root":
        make_mvtec(root)
    named = root
    if case == "missing split":
        for f in sorted((root / "test").rglob("*"), reverse=True):
            f.unlink() if f.is_file() else f.rmdir()
        (root / "test").rmdir()
    elif case in ("empty split", "only non-images"):
        for f in (root / "test").rglob("*.png"):
            f.unlink() if case == "empty split" else f.rename(f.with_suffix(".txt"))
        named = root / "test"
    elif case == "missing mask":
        named = root / "test" / "poke" / "001.png"
        (root / "ground_truth" / "poke" / "001_mask.png").unlink()
    elif case == "mask of another size":
        named = root / "ground_truth" / "crack" / "000_mask.png"
        save(named, np.zeros((8, 8), np.uint8))
    elif case == "corrupt image":
        named = root / "test" / "good" / "000.png"
        named.write_bytes(b"not a png")
    with pytest.raises(DatasetError) as err:
        load_split(root, "test", image_size=8)
    assert message in str(err.value) and str(named) in str(err.value)
    if case not in ("missing split", "corrupt image"):   # info reports the splits it finds
        with pytest.raises(DatasetError):
            summarize(root)


def test_list_images_sorted_and_filtered(tmp_path):
    for name in ("b.png", "a.JPG", ".hidden.png", "Thumbs.db", "c.txt"):
        (tmp_path / name).write_bytes(b"x")
    assert [p.name for p in list_images(tmp_path)] == ["a.JPG", "b.png"]


def test_summarize_needs_a_split(tmp_path):
    with pytest.raises(DatasetError, match="neither a 'train' nor a 'test'"):
        summarize(tmp_path)


def test_image_channels_reads_the_first_training_image(tmp_path):
    from PIL import Image
    from lecture_utils.data.mvtec import image_channels
    for mode, channels in (("L", 1), ("RGB", 3), ("RGBA", 3)):
        folder = tmp_path / mode / "train" / "good"
        folder.mkdir(parents=True)
        Image.new(mode, (8, 8)).save(folder / "000.png")
        assert image_channels(tmp_path / mode) == channels
