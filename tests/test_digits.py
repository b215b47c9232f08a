"""Digits as anomaly detection: only the chosen digits, train and test disjoint, same API for both sources."""
import pytest
import torch

from lecture_utils.data import digits
from lecture_utils.data.mvtec import load_split, summarize

from test_download import write_mnist_gz


@pytest.fixture(autouse=True)
def cache(tmp_path, monkeypatch):
    monkeypatch.setenv("LECTURE_UTILS_DATA", str(tmp_path / "cache"))
    monkeypatch.delenv("LECTURE_UTILS_MNIST", raising=False)
    monkeypatch.delenv("LECTURE_UTILS_REDUCED", raising=False)


@pytest.fixture(scope="module")
def bundled():
    return digits.digit_sets(normal=(7, 8), anomaly=(2,), n_train=100, n_test=40, image_size=32,
                             source="bundled")


def test_bundled_digits_selection(bundled):
    assert bundled.source == "bundled"
    train, test = bundled.train, bundled.test
    assert train.images.shape == (100, 1, 32, 32) and test.images.shape == (40, 1, 32, 32)
    assert 0 <= train.images.min() and train.images.max() <= 1 and train.images.max() > 0.9
    assert set(train.defects) == {"7", "8"} and train.labels.sum() == 0
    assert set(test.defects) == {"7", "8", "2"}
    assert test.labels.tolist() == [int(d == "2") for d in test.defects]
    assert test.labels.sum() == 20 and not test.has_masks and test.masks.sum() == 0
    assert not set(train.paths) & set(test.paths), "a test digit was also used for training"


def test_same_seed_same_selection(bundled):
    again = digits.digit_sets(normal=(7, 8), anomaly=(2,), n_train=100, n_test=40, image_size=32,
                              source="bundled")
    assert again.train.paths == bundled.train.paths and torch.equal(again.test.images, bundled.test.images)


def test_bundled_train_is_capped_by_what_is_left():
    sets = digits.digit_sets(normal=(1,), anomaly=(0,), n_train=1000, n_test=100, source="bundled")
    assert 100 < len(sets.train) < 200 and len(sets.test) == 100     # ~180 ones, 50 kept for test


def test_auto_uses_mnist_when_found_else_bundled(tmp_path):
    assert digits.digit_sets(n_train=10, n_test=10, source="auto").source == "bundled"
    write_mnist_gz(tmp_path / "m" / "MNIST" / "raw", n=60)
    sets = digits.digit_sets(n_train=10, n_test=10, source="auto", mnist_root=tmp_path / "m")
    assert sets.source == "mnist" and sets.train.images.shape == (10, 1, 64, 64)
    assert set(sets.train.defects) == {"7", "8"} and set(sets.test.defects) == {"7", "8", "2"}
    assert all(p.startswith("mnist:train:") for p in sets.train.paths)
    assert all(p.startswith("mnist:test:") for p in sets.test.paths)  # normal test digits never trained on


def test_mnist_source_without_files_is_an_error(tmp_path):
    with pytest.raises(ValueError, match="no MNIST files"):
        digits.digit_sets(source="mnist", mnist_root=tmp_path)


@pytest.mark.parametrize("kwargs, match", [
    ({"normal": (7,), "anomaly": (7,)}, "both normal and anomaly"),
    ({"normal": (11,)}, "0..9"),
    ({"source": "emnist"}, "source must be"),
])
def test_bad_selection(kwargs, match):
    with pytest.raises(ValueError, match=match):
        digits.digit_sets(**kwargs)


def test_write_digit_folder_is_an_mvtec_folder(tmp_path, bundled):
    out = digits.write_digit_folder(tmp_path / "digits", bundled)
    info = summarize(out)
    assert info["splits"] == {"train": {"good": 100}, "test": {"good": 20, "2": 20}}
    assert info["masks"] == 0 and info["mode"] == "L" and info["image_size"] == [32, 32]
    test = load_split(out, "test", image_size=32, channels=1)
    assert test.labels.sum() == 20
    assert torch.allclose(test.images[:20], bundled.test.images[:20], atol=1 / 255)


def test_a_validation_set_takes_its_normal_images_from_a_training_split_too_small_for_both():
    # the bundled digits hold about 180 images per digit: 400 training images would use every 7 and 8
    alone = digits.digit_sets(normal=(7, 8), anomaly=(2,), n_train=400, n_test=100, image_size=16, source="bundled")
    both = digits.digit_sets(normal=(7, 8), anomaly=(2,), n_train=400, n_test=100, image_size=16, source="bundled",
                             n_val=80)
    val_normal = both.val.labels == 0
    assert int(val_normal.sum()) == 40 and sorted(both.val.defects[i] for i in range(len(both.val))
                                                  if val_normal[i]) == ["7"] * 20 + ["8"] * 20
    assert len(both.train) == len(alone.train) - 40
    assert set(both.train.paths) < set(alone.train.paths) and both.test.paths == alone.test.paths
    assert not set(both.val.paths) & (set(both.train.paths) | set(both.test.paths))


def test_reduced_counts_keep_enough_test_images(monkeypatch):
    monkeypatch.setenv("LECTURE_UTILS_REDUCED", "1")
    assert digits.default_counts()["n_test"] >= 100


@pytest.mark.parametrize("reduced", ["0", "1"])
def test_notebook_00_shows_the_sizes_lecture_2_trains_on(monkeypatch, reduced):
    """default_counts() (notebook 00's digits) are notebook 02's DIGITS, read from its source."""
    import re
    from pathlib import Path
    from lecture_utils.config import pick
    monkeypatch.setenv("LECTURE_UTILS_REDUCED", reduced)
    source = (Path(__file__).parents[1] / "notebooks" / "src" / "02_anogan.py").read_text(encoding="utf-8")
    lecture_2 = eval(re.search(r"^DIGITS = (dict\(.*\))$", source, re.M)[1], {"pick": pick})
    assert digits.default_counts() == {k: lecture_2[k] for k in ("n_train", "n_test")}
    assert digits.default_counts()["n_train"] == (400 if reduced == "1" else 4000)


def test_validation_set_comes_from_the_train_split_and_changes_nothing_else(tmp_path, bundled):
    with_val = digits.digit_sets(normal=(7, 8), anomaly=(2,), n_train=100, n_test=40, image_size=32,
                                 source="bundled", n_val=30)
    assert bundled.val is None
    assert with_val.train.paths == bundled.train.paths and with_val.test.paths == bundled.test.paths
    val = with_val.val
    assert len(val) == 30 and val.labels.sum() == 15 and set(val.defects) == {"7", "8", "2"}
    assert not set(val.paths) & (set(bundled.train.paths) | set(bundled.test.paths))
    write_mnist_gz(tmp_path / "m" / "MNIST" / "raw", n=200)
    sets = digits.digit_sets(n_train=20, n_test=10, source="mnist", mnist_root=tmp_path / "m", n_val=10)
    assert all(p.startswith("mnist:train:") for p in sets.val.paths)
    assert not set(sets.val.paths) & set(sets.train.paths)
