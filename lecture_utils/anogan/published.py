"""The lecturer's published lecture 2 weights: trained once on real MNIST, downloaded instead of
trained again in every student's runtime.

The published file (``anogan_weights.zip``) holds the finished cache files that the lecture's own
notebook writes into ``DATA_DIR/anogan/`` (the book's GAN, our GAN, the encoder; named by
``checkpoint.cache_file``, i.e. by their settings and data) and ``SHA256SUMS``, the SHA-256 of each.
The lecturer's ``lecture_tools.release`` makes it (``python -m lecture_tools anogan release``) and
attaches it to the release of the tag the install cell pins. Its location is `WEIGHTS`: that release asset
by default, or ``$LECTURE_UTILS_GAN_WEIGHTS_URL`` (a URL or Google Drive id of a course's mirror).

``provide(path, cfg, images, source, train)``, called before ``train_gan``/``train_encoder_cached``,
copies the published file named like ``path`` to ``path`` when all of these hold: not ``train``,
the digits are real MNIST, downloads are allowed (`sources.may_download`) or the weights are already
in the cache, nothing is at ``path`` yet (nothing is ever overwritten), the manifest matches, and the
file records exactly this run's settings and data (``check_resumable``).  The training call then
loads it as finished.  Otherwise it returns False (with one line when something was tried) and the
notebook trains as before.
"""
from __future__ import annotations

import shutil
from pathlib import Path

import pooch

from .. import REPOSITORY, __version__
from ..checkpoint import ResumeError, check_resumable, load_checkpoint, partial_path, refuse_unfinished
from ..checkpoint import tensor_identity
from ..data import download as dl
from ..data.sources import may_download
from ..errors import clause
from ..messages import say, tell
from ..outputs import creating

FILENAME = "anogan_weights.zip"
MANIFEST = "SHA256SUMS"
FOLDER = "anogan"            # the sub-folder of the cache the notebook's cache files live in
TAG = f"v{__version__}"      # the tag the install cell pins (notebooks/build.py: REF)
WEIGHTS = dl.Archive(
    "anogan-weights", FILENAME, f"https://github.com/{REPOSITORY}/releases/download/{TAG}/{FILENAME}",
    None, "anogan_weights", (MANIFEST,), env="LECTURE_UTILS_GAN_WEIGHTS_URL")
_failed: dict[str, str] = {}  # location -> why it failed in this session (not tried twice)
_copied: set[Path] = set()    # files copied by `provide` whose line was said, not yet loaded
# What this notebook printed at full settings on real MNIST, in the run that made the published
# weights (docs/results.md, "Lecture 2's published weights"): the AUROCs of its section 6.
FULL_RUN = {"file": "docs/results.md", "steps": 50, "search": 0.876, "encoder": 0.951, "short": 30, "refined": 0.934}


def sha256(path) -> str:
    """The SHA-256 of the file ``path`` (hex)."""
    return pooch.file_hash(str(path))


# --- the student's side: using it -------------------------------------------------------------------
def verified(folder: Path) -> dict[str, Path]:
    """``{member name: path}`` of the unpacked files listed in ``folder/SHA256SUMS``; a DownloadError
    naming the first file that is missing or differs (then nothing of the archive may be used)."""
    files = {}
    for line in (folder / MANIFEST).read_text().splitlines():
        digest, _, name = line.strip().partition("  ")
        path = folder / name
        if not name or ".." in Path(name).parts or not path.is_file() or sha256(path) != digest:
            raise dl.DownloadError("weights_mismatch", name=name or line, manifest=MANIFEST)
        files[name] = path
    return files


def published_files() -> dict[str, Path] | None:
    """The verified published files: from the cache, else downloaded when `may_download` (once per
    session and location); None when they cannot be had (one line says why, then training goes on)."""
    location = WEIGHTS.location()
    folder = dl.unpacked(WEIGHTS)
    if folder is None and (location in _failed or not may_download()):
        return None
    try:
        return verified(folder or dl.fetch(WEIGHTS))
    except (dl.DownloadError, OSError, ValueError) as e:
        _failed[location] = reason = clause(e)
        damaged = dl.unpacked(WEIGHTS)
        if damaged is not None:               # nothing of a damaged archive stays to be used later
            shutil.rmtree(damaged, ignore_errors=True)
            (dl.cache_dir() / WEIGHTS.filename).unlink(missing_ok=True)
        tell("weights_failed", reason=reason)
        return None


def provide(path, cfg, images, source: str, train: bool = False, trained_with=None) -> bool:
    """Copy the published checkpoint named like ``path`` to ``path`` if it fits this run (see the
    module docstring); True if copied.  ``trained_with``: for the encoder, the GAN file it needs:
    used only if that file is the published one too (E was trained on that G)."""
    path = Path(path)
    if train or source != "mnist" or path.exists() or partial_path(path).exists():
        return False
    files = published_files()
    if files is None:
        return False
    name = f"{FOLDER}/{path.name}"
    if name not in files or not _fits(files[name], cfg, images) or not _same(trained_with, files):
        tell("weights_other", name=path.name)
        return False
    _copy_new(files[name], path)
    tell("weights_published", origin=origin(), path=path)
    _copied.add(path)
    return True


def origin() -> str:
    """Where the published archive in the cache came from, in words: the release of ``TAG`` or a
    mirror (``$LECTURE_UTILS_GAN_WEIGHTS_URL``), with the URL it was downloaded from."""
    source = dl.downloaded_from(WEIGHTS)
    if source is None:
        return say("origin_cache", path=dl.cache_dir() / WEIGHTS.filename)
    if source == WEIGHTS.source:
        return say("origin_release", tag=TAG, url=dl.browser_url(source))
    return say("origin_mirror", url=dl.browser_url(source), env=WEIGHTS.env)


def announced(path) -> bool:
    """True (once) if ``path`` is a file `provide` copied and announced: its loading says nothing more."""
    if path is None or Path(path) not in _copied:
        return False
    _copied.discard(Path(path))
    return True


def _fits(file: Path, cfg, images) -> bool:
    """True if ``file`` is a finished checkpoint of exactly the settings ``cfg`` and these ``images``."""
    try:
        state = load_checkpoint(file)
        refuse_unfinished(state, file)
        check_resumable(file, state, cfg, free=(), data=tensor_identity(images))
    except (ResumeError, ValueError):
        return False
    return True


def _same(local, files: dict[str, Path]) -> bool:
    """True if ``local`` is None, or a file identical to the published file of its name."""
    if local is None:
        return True
    mine = files.get(f"{FOLDER}/{Path(local).name}")
    return mine is not None and Path(local).is_file() and sha256(local) == sha256(mine)


def _copy_new(src: Path, path: Path) -> None:
    """Copy ``src`` to a temp file beside ``path``, then put it in place (never over a file)."""
    with creating(path) as f, open(src, "rb") as s:
        shutil.copyfileobj(s, f)
