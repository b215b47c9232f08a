"""Which data the notebooks use: ``capsule(choice)`` and ``digits(choice)`` for the ``DATA = "auto"``
choice at the top of each lecture (the table in docs/data.md).  Outside Colab and without
``LECTURE_UTILS_DOWNLOAD=1``, ``"auto"`` never touches the network; a fallback prints one line (why,
and what to do) from `messages`."""
from __future__ import annotations

import os
from pathlib import Path

from .. import config
from ..config import in_colab
from ..errors import LectureError, SettingError, clause
from ..messages import say, tell
from . import download as dl
from .digits import SOURCES as DIGIT_CHOICES
from .download import LECTURE, MVTEC_CAPSULE, DownloadError, find_mvtec_root, unpacked
from .mvtec import DatasetError
from .synthetic import ensure_synthetic_capsule

CAPSULE_ENV = "LECTURE_UTILS_CAPSULE"
DOWNLOAD_ENV = "LECTURE_UTILS_DOWNLOAD"
CAPSULE_CHOICES = ("auto", "lecture", "mvtec", "synthetic")
TUNING_SEED = 0   # the synthetic capsule the evaluation settings were chosen on (benchmarks/RESULTS_vae.md)
LECTURE_SEED = 1  # the synthetic capsule the lectures train and evaluate on offline: unseen by that tuning
DRIVE_FOLDER = "/content/drive/MyDrive/lecture_utils"
_ARCHIVES = {"lecture": LECTURE.name, "mvtec": MVTEC_CAPSULE.name}   # DATA value -> download.ARCHIVES


class NotInColab(LectureError, RuntimeError):
    """What only Google Colab can do (mount Google Drive), asked for elsewhere."""


def may_download() -> bool:
    """``"auto"`` may download: in Colab, or when ``LECTURE_UTILS_DOWNLOAD`` is on (``config.switch``)."""
    return in_colab() or config.switch(DOWNLOAD_ENV)


def _choice(choice: str, allowed: tuple[str, ...], variable: str = "DATA") -> str:
    """``choice`` if it is one of ``allowed``, else a SettingError naming the notebook's ``variable``."""
    if choice not in allowed:
        raise SettingError("bad_choice", variable=variable, allowed=", ".join(map(repr, allowed)), choice=repr(choice))
    return choice


def _cached_capsule(name: str) -> Path | None:
    """The MVTec-layout root inside the unpacked archive ``name``, if it is in the cache."""
    folder = unpacked(dl.ARCHIVES[_ARCHIVES[name]])
    return find_mvtec_root(folder) if folder is not None else None


def _downloaded_capsule(name: str) -> Path:
    """Download (with a progress bar) and check the archive ``name``; its MVTec-layout root."""
    folder = dl.fetch(_ARCHIVES[name])
    root = find_mvtec_root(folder)
    if root is None:
        raise DatasetError("no_train_good", folder=folder)
    return root


def _how(kind: str, url: str, folder: Path, **fields) -> str:
    """The short 'what to do' of a fallback line (``kind`` 'archive' or 'mnist', whose ``files``
    are named): download from ``url``, then upload (Colab's Files panel) or save into ``folder``, and
    rerun the cell."""
    return say(f"{kind}_upload" if in_colab() else f"{kind}_save", url=url, folder=dl.shown(folder), **fields)


def _env_capsule(root: Path) -> Path:
    """``$LECTURE_UTILS_CAPSULE`` if it is an MVTec-layout folder (holds train/good), else one line naming it."""
    why = "why_missing" if not root.exists() else "why_no_train_good" if not (root / "train" / "good").is_dir() else None
    if why:
        raise DatasetError("env_not_folder", name=CAPSULE_ENV, path=root, why=say(why))
    return root


def capsule(choice: str = "auto", seed: int = LECTURE_SEED) -> tuple[Path, str]:
    """``(folder, name)`` of the capsule data for ``DATA = choice`` (docs/data.md);
    name is 'env', 'lecture', 'mvtec' or 'synthetic'."""
    choice = _choice(choice, CAPSULE_CHOICES)
    if choice == "synthetic":
        return ensure_synthetic_capsule(seed), "synthetic"
    if choice != "auto":
        return _cached_capsule(choice) or _downloaded_capsule(choice), choice
    if os.environ.get(CAPSULE_ENV):
        return _env_capsule(Path(os.environ[CAPSULE_ENV]).expanduser()), "env"
    for name in ("lecture", "mvtec"):
        root = _cached_capsule(name)
        if root is not None:
            return root, name
    if not may_download():
        tell("capsule_off", folder=dl.cache_dir(), env=DOWNLOAD_ENV)
        return ensure_synthetic_capsule(seed), "synthetic"
    failures = []
    for name in ("lecture", "mvtec"):
        try:
            return _downloaded_capsule(name), name
        except (DownloadError, DatasetError) as e:
            failures.append(clause(e))
    lecture = dl.ARCHIVES[_ARCHIVES["lecture"]]    # the one to get by hand: it carries the weights
    tell("capsule_failed", reason=failures[0], how=_how("archive", lecture.url, dl.cache_dir()))
    return ensure_synthetic_capsule(seed), "synthetic"


def describe(name: str, root, seed: int = LECTURE_SEED) -> str:
    """A label of the capsule data ``capsule()`` returned as ``(root, name)``, for printed results in
    the notebook's language: which data set (and seed) they come from."""
    return say(f"describe_{name}", seed=seed, env=CAPSULE_ENV, name=Path(root).name)


def digits(choice: str = "auto", variable: str = "DATA") -> str:
    """The ``source`` for `digits.digit_sets` under ``DATA = choice``: 'mnist' or 'bundled'.
    MNIST is downloaded here (from torchvision's mirrors, progress bar) when the choice allows it. ``variable``:
    the name of the notebook's variable that holds ``choice`` (notebook 00: ``DIGITS_DATA``), which
    the lines printed here name."""
    choice = _choice(choice, DIGIT_CHOICES, variable)
    if choice == "bundled":
        return "bundled"
    if choice == "mnist":
        dl.mnist_root(download=True)        # DatasetError / DownloadError with what to do
        return "mnist"
    try:
        if dl.find_mnist() is not None:
            return "mnist"
    except DatasetError as e:               # unreadable files: say so, do not download over them
        tell("digits_unreadable", reason=clause(e))
        return "bundled"
    raw = dl.cache_dir() / "mnist" / "MNIST" / "raw"
    if not may_download():
        tell("digits_off", folder=raw, env=DOWNLOAD_ENV, variable=variable)
        return "bundled"
    try:
        dl.download_mnist()
        return "mnist"
    except DownloadError as e:
        tell("digits_failed", reason=clause(e), how=_how("mnist", dl.MNIST_URL, raw, files=dl.mnist_files()))
    return "bundled"


def lecture_weights() -> Path | None:
    """``trained_model.pt`` from the lecture archive, if it has been downloaded."""
    folder = unpacked(LECTURE)
    hits = sorted(folder.rglob("trained_model.pt")) if folder is not None else []
    return hits[0] if hits else None


def use_drive(folder: str = DRIVE_FOLDER) -> Path:
    """Mount Google Drive (Colab asks for permission) and keep the cache in ``folder`` on it
    (``$LECTURE_UTILS_DATA``), so downloads, weights and checkpoints survive a recycled runtime."""
    if not in_colab():
        raise NotInColab("drive_outside_colab")
    from google.colab import drive
    drive.mount("/content/drive")
    os.environ[config.DATA_ENV] = str(folder)
    path = Path(folder)
    path.mkdir(parents=True, exist_ok=True)
    tell("drive_cache", folder=path)
    return path
