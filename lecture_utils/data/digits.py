"""Handwritten digits as an anomaly-detection task: train on the normal digits, test on both.

The AnoGAN lecture trains on 7s and 8s from MNIST's training split (2,000 of each) and tests on
7s and 8s from the *test* split (never seen in training) mixed with 2s, the anomaly.  Without
MNIST on disk the same selection is made from scikit-learn's bundled 8x8 digits (real
handwriting, no download), upsampled smoothly to 64x64.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from PIL import Image

from .. import config
from ..outputs import write_folder
from .mvtec import DatasetError, ImageSet
from . import download

SOURCES = ("auto", "mnist", "bundled")


@dataclass
class DigitSets:
    """``train``: normal digits only; ``test``: normal (label 0) and anomaly (label 1) digits;
    ``defects`` hold each image's digit ('7', '2'), ``masks`` are zeros (``has_masks`` False);
    ``source``: 'mnist' or 'bundled'; ``val``: like ``test`` but from the *training* split and
    disjoint from ``train`` (None unless asked for), to choose settings without the test set."""
    train: ImageSet
    test: ImageSet
    source: str
    val: ImageSet | None = None


def digit_sets(normal=(7, 8), anomaly=(2,), n_train: int = 400, n_test: int = 200,
               image_size: int = 64, source: str = "auto", mnist_root=None,
               download: bool = False, seed: int = 0, n_val: int = 0) -> DigitSets:
    """Select the digits: ``n_train`` normal training images (split evenly among ``normal``) and
    ``n_test`` test images, half normal, half anomaly.  Images ``[N, 1, S, S]`` in [0, 1].
    ``n_val`` > 0 adds a validation set of that size (half anomalies) from the training split,
    sharing no image with ``train``; the other sets are the same with or without it, unless the
    training split holds too few normal images for both (the bundled digits): then ``train``
    leaves out the normal images the validation set needs.

    ``source``: 'mnist' (from ``mnist_root``, ``$LECTURE_UTILS_MNIST`` or the cache; downloads
    only when ``download``), 'bundled' (scikit-learn), or 'auto' (MNIST if found on disk, else
    bundled; never downloads).
    """
    normal, anomaly = _digits(normal, "normal"), _digits(anomaly, "anomaly")
    if n_train < 1 or n_test < 2 or n_val < 0:
        raise ValueError(f"need n_train >= 1, n_test >= 2 and n_val >= 0, got {n_train}, {n_test}, {n_val}")
    if set(normal) & set(anomaly):
        raise ValueError(f"a digit cannot be both normal and anomaly: {sorted(set(normal) & set(anomaly))}")
    if source not in SOURCES:
        raise ValueError(f"source must be one of {SOURCES}, got {source!r}")
    if source == "auto":
        source = "mnist" if _mnist_or_none(mnist_root) is not None else "bundled"
    rng = np.random.default_rng(seed)
    if source == "mnist":
        pools = _mnist_pools(mnist_root, download)
    else:
        pools = _bundled_pools(rng, normal, anomaly, n_test)
    val_normal = _even(n_val - n_val // 2, len(normal))
    train_counts = [max(0, min(k, len(pools["train"][d][1]) - v))  # room for the validation set
                    for d, k, v in zip(normal, _even(n_train, len(normal)), val_normal)]
    train = _take(pools["train"], normal, train_counts, rng)
    test_normal = _take(pools["test"], normal, _even(n_test - n_test // 2, len(normal)), rng)
    test_anomaly = _take(pools["test"], anomaly, _even(n_test // 2, len(anomaly)), rng)
    val = None
    if n_val > 0:
        rest = _without(pools["train"], {row[1] for row in train})
        val = _image_set(_take(rest, normal, val_normal, rng),
                         _take(rest, anomaly, _even(n_val // 2, len(anomaly)), rng), image_size, source, "val")
    return DigitSets(_image_set(train, [], image_size, source, "train"),
                     _image_set(test_normal, test_anomaly, image_size, source, "test"), source, val)


def default_counts() -> dict:
    """Lecture 2's counts (its ``DIGITS``): 4,000 training images (2,000 sevens, 2,000 eights) and
    200 test images, or 400 and 100 under ``LECTURE_UTILS_REDUCED``; notebook 00 shows these sets."""
    return {"n_train": config.pick(4000, 400), "n_test": config.pick(200, 100)}


def _digits(values, what) -> tuple[int, ...]:
    values = tuple(int(v) for v in values)
    if not values or any(not 0 <= v <= 9 for v in values):
        raise ValueError(f"{what} digits must be one or more of 0..9, got {values}")
    return values


def _even(total: int, parts: int) -> list[int]:
    """``total`` split into ``parts`` counts differing by at most one."""
    return [total // parts + (i < total % parts) for i in range(parts)]


def _mnist_or_none(root):
    try:
        return download.find_mnist(root)
    except DatasetError:
        return None


# --- pools: {split: {digit: (images uint8 [n, h, w], ids)}} ------------------------------------
def _mnist_pools(root, allow_download: bool) -> dict:
    found = download.mnist_root(root, download=allow_download)
    pools = {}
    for split, train in (("train", True), ("test", False)):
        images, labels = download.load_mnist(found, train)
        pools[split] = {d: (images[labels == d].numpy(), [f"mnist:{split}:{i}" for i in
                                                          torch.nonzero(labels == d).flatten().tolist()])
                        for d in range(10)}
    return pools


def _bundled_pools(rng, normal, anomaly, n_test: int) -> dict:
    """scikit-learn's 1797 digits split per class into disjoint test and train parts: the test
    part gets just what the test set needs, the train part keeps the rest."""
    from sklearn.datasets import load_digits
    bunch = load_digits()
    images = np.rint(bunch.images * (255 / 16)).astype(np.uint8)    # [1797, 8, 8], 0..16 -> 0..255
    need = dict(zip(normal, _even(n_test - n_test // 2, len(normal))))
    need.update(zip(anomaly, _even(n_test // 2, len(anomaly))))
    pools = {"train": {}, "test": {}}
    for d in range(10):
        idx = rng.permutation(np.flatnonzero(bunch.target == d))
        k = need.get(d, 0)
        for split, part in (("test", idx[:k]), ("train", idx[k:])):
            pools[split][d] = (images[part], [f"sklearn:{i}" for i in part])
    return pools


def _take(pool: dict, digits, counts, rng) -> list[tuple[np.ndarray, str, int]]:
    """``counts[i]`` random images of ``digits[i]`` (all of them when fewer exist)."""
    chosen = []
    for d, k in zip(digits, counts):
        images, ids = pool[d]
        pick = np.sort(rng.permutation(len(ids))[:k])
        chosen += [(images[i], ids[i], d) for i in pick]
    return chosen


def _without(pool: dict, used: set) -> dict:
    """``pool`` less the images whose id is in ``used``."""
    out = {}
    for d, (images, ids) in pool.items():
        keep = [j for j, i in enumerate(ids) if i not in used]
        out[d] = (images[keep], [ids[j] for j in keep])
    return out


def _resize(images: np.ndarray, size: int) -> torch.Tensor:
    """uint8 ``[N, h, w]`` -> float ``[N, 1, size, size]`` in [0, 1]; 8x8 digits get a one-pixel
    border first (MNIST's digits do not touch the frame either) and bicubic smoothing."""
    x = torch.from_numpy(images).float().div(255)[:, None]           # [N, 1, h, w]
    if x.shape[-1] <= 8:
        x = F.pad(x, (1, 1, 1, 1))
        x = F.interpolate(x, size=(size, size), mode="bicubic", align_corners=False)
    else:
        x = F.interpolate(x, size=(size, size), mode="bilinear", align_corners=False, antialias=True)
    return x.clamp(0, 1)


def _image_set(normal, anomaly, size, source, split) -> ImageSet:
    rows = [(img, i, d, 0) for img, i, d in normal] + [(img, i, d, 1) for img, i, d in anomaly]
    if not rows:
        raise DatasetError("no_digits", split=split, source=source)
    images = _resize(np.stack([r[0] for r in rows]), size)
    return ImageSet(images=images, labels=torch.tensor([r[3] for r in rows]),
                    masks=torch.zeros(len(rows), 1, size, size),
                    defects=[str(r[2]) for r in rows],
                    paths=[r[1] for r in rows], has_masks=False)


MARKER = "digits.json"   # what write_digit_folder leaves in its folder (and replaces later)


def write_digit_folder(out, sets: DigitSets, force: bool = False) -> Path:
    """An MVTec-layout folder of grayscale PNGs: ``train/good``, ``test/good``, ``test/<digit>``.

    Written beside ``out`` and renamed into place; an existing ``out`` is replaced only if it is
    empty or an earlier digit folder (``force``: see ``outputs.write_folder``)."""
    def fill(tmp: Path) -> None:
        for split, images in (("train", sets.train), ("test", sets.test)):
            counters: dict = {}
            for x, label, digit in zip(images.images, images.labels.tolist(), images.defects):
                defect = digit if label else "good"
                folder = tmp / split / defect
                folder.mkdir(parents=True, exist_ok=True)
                n = counters[defect] = counters.get(defect, -1) + 1
                array = (x[0].numpy() * 255).round().astype(np.uint8)     # [S, S]
                Image.fromarray(array).save(folder / f"{n:03d}.png")

    info = {"source": sets.source, "train": len(sets.train), "test": len(sets.test)}
    return write_folder(out, fill, MARKER, info, force=force)
