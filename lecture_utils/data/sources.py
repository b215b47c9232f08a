"""Which data the notebooks use, without touching the network.

The best capsule data present wins: ``$LECTURE_UTILS_CAPSULE`` (a folder you point at), the
lecture's own archive, the official MVTec AD capsule (both only once downloaded, see
``python -m lecture_utils data download``), else the synthetic capsule, generated on first use.
"""
from __future__ import annotations

import os
from pathlib import Path

from .download import LECTURE, MVTEC_CAPSULE, find_mvtec_root, unpacked
from .synthetic import ensure_synthetic_capsule

CAPSULE_ENV = "LECTURE_UTILS_CAPSULE"


def capsule_root(seed: int = 0) -> tuple[Path, str]:
    """``(folder, name)`` of the capsule data to use; name is 'env', 'lecture', 'mvtec' or 'synthetic'."""
    if os.environ.get(CAPSULE_ENV):
        return Path(os.environ[CAPSULE_ENV]).expanduser(), "env"
    for archive, name in ((LECTURE, "lecture"), (MVTEC_CAPSULE, "mvtec")):
        folder = unpacked(archive)
        root = find_mvtec_root(folder) if folder is not None else None
        if root is not None:
            return root, name
    return ensure_synthetic_capsule(seed), "synthetic"


def lecture_weights() -> Path | None:
    """``trained_model.pt`` from the lecture archive, if it has been downloaded."""
    folder = unpacked(LECTURE)
    hits = sorted(folder.rglob("trained_model.pt")) if folder is not None else []
    return hits[0] if hits else None
