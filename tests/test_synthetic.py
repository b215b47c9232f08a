"""The synthetic capsule: MVTec layout, determinism, and masks that are exactly the changed pixels."""
import hashlib

import numpy as np
import pytest

from lecture_utils.data import synthetic
from lecture_utils.data.mvtec import load_split, summarize
from lecture_utils.data.synthetic import DEFECTS, CapsuleSpec, sample_pair

TINY = CapsuleSpec(n_train=3, n_test_good=2, n_test_defect=1, size=64, seed=0)


@pytest.fixture(autouse=True)
def cache(tmp_path, monkeypatch):
    monkeypatch.setenv("LECTURE_UTILS_DATA", str(tmp_path / "cache"))
    monkeypatch.delenv("LECTURE_UTILS_REDUCED", raising=False)


def digest(folder):
    return {str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*.png"))}


def test_writes_an_mvtec_folder_with_a_mask_per_defect(tmp_path):
    root = synthetic.write_synthetic_capsule(tmp_path / "cap", TINY, progress=False)
    info = summarize(root)
    assert info["splits"] == {"train": {"good": 3}, "test": {"good": 2, **{d: 1 for d in DEFECTS}}}
    assert info["masks"] == 5 and info["image_size"] == [64, 64] and info["mode"] == "RGB"
    test = load_split(root, "test", image_size=64)
    assert test.masks[test.labels == 0].sum() == 0
    assert all(m.sum() > 0 for m in test.masks[test.labels == 1])
    assert not list(tmp_path.glob(".cap-*")), "temporary folder left behind"


def test_same_seed_same_files_other_seed_other_files(tmp_path):
    a = synthetic.write_synthetic_capsule(tmp_path / "a", TINY, progress=False)
    b = synthetic.write_synthetic_capsule(tmp_path / "b", TINY, progress=False)
    c = synthetic.write_synthetic_capsule(tmp_path / "c", CapsuleSpec(**{**TINY.__dict__, "seed": 1}),
                                          progress=False)
    assert digest(a) == digest(b)
    assert digest(a) != digest(c)


@pytest.mark.parametrize("kind", DEFECTS)
def test_mask_is_exactly_the_changed_pixels(kind):
    rng = np.random.default_rng([3, DEFECTS.index(kind)])
    good, bad, mask = sample_pair(rng, 128, kind)
    changed = np.any(good != bad, axis=2)
    assert mask.any() and changed.any()
    assert not (changed & ~mask).any(), "a changed pixel outside the mask"
    # a squeeze's mask also covers the moved part of the black cap, whose colour does not change
    assert changed[mask].mean() > (0.2 if kind == "squeeze" else 0.5), "mask much larger than the change"
    assert mask.mean() < 0.2


def test_good_has_an_empty_mask_and_looks_like_a_capsule():
    good, image, mask = sample_pair(np.random.default_rng(0), 256, "good")
    assert image is good and not mask.any()
    assert good.shape == (256, 256, 3) and good.dtype == np.uint8
    corner, cap, body = good[:20, :20].mean(), good[128, 60], good[115, 200]
    assert corner > 190                                    # light background
    assert cap.max() < 70                                  # dark cap on the left
    assert body[0] > body[1] + 30 and body[0] > body[2] + 30  # red-brown body on the right


def test_unknown_defect_is_refused():
    with pytest.raises(ValueError, match="unknown defect"):
        synthetic.make_defect("dent", np.random.default_rng(0))


def test_ensure_caches_and_regenerates_when_incomplete(monkeypatch):
    calls = []
    real = synthetic.write_synthetic_capsule
    monkeypatch.setattr(synthetic, "write_synthetic_capsule",
                        lambda out, spec, **kw: calls.append(out) or real(out, spec, progress=False, **kw))
    first = synthetic.ensure_synthetic_capsule(spec=TINY)
    again = synthetic.ensure_synthetic_capsule(spec=TINY)
    assert first == again and len(calls) == 1
    marker = first / synthetic.SPEC_FILE
    marker.write_text(marker.read_text().replace('"version": ', '"version": -'))  # an older drawing
    synthetic.ensure_synthetic_capsule(spec=TINY)
    assert len(calls) == 2 and synthetic.is_complete(first, TINY)
    marker.unlink()                                         # not ours any more: never deleted
    (first / "notes.txt").write_text("mine")
    with pytest.raises(ValueError, match="move it away"):
        synthetic.ensure_synthetic_capsule(spec=TINY)
    assert (first / "notes.txt").read_text() == "mine"


def test_reduced_settings_make_fewer_images(monkeypatch):
    full = synthetic.default_spec()
    monkeypatch.setenv("LECTURE_UTILS_REDUCED", "1")
    small = synthetic.default_spec()
    assert small.n_train < full.n_train and small.n_test_defect < full.n_test_defect
    assert full == CapsuleSpec()
