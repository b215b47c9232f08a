"""Downloads, cached and checked: the lecture archive, MVTec AD's capsule, and MNIST.

Everything lands in the cache folder (``config.data_dir()``, i.e. ``data/`` of a checkout, or the
folder you pass).  An archive is downloaded to ``NAME.part``, checked (MD5 when known, else a valid
archive with the expected members; its size and SHA-256 are recorded), unpacked into a temporary
folder and renamed into place, so an interrupted run never leaves a half-unpacked data set.
When the unpacked folder is complete nothing is downloaded again.  Any failure (no network,
Google Drive's quota page instead of the file, a corrupt archive) raises one `DownloadError`
that says what failed, where to download the file by hand and where to put it.
"""
from __future__ import annotations

import gzip
import hashlib
import json
import os
import shutil
import tarfile
import tempfile
import urllib.request
import zipfile
from dataclasses import dataclass
from pathlib import Path

from tqdm.auto import tqdm

from .. import config
from .mvtec import DatasetError

COMPLETE = ".complete"   # written inside an unpacked folder once it is whole


class DownloadError(OSError):
    """A download or its check failed; the message says how to go on by hand."""


@dataclass(frozen=True)
class Archive:
    """One downloadable archive: where it comes from and what it must contain."""
    name: str                    # as on the command line
    filename: str
    url: str                     # what a browser can open
    md5: str | None              # known MD5 of the archive, if any
    folder: str                  # unpacked folder in the cache
    members: tuple[str, ...]     # path fragments that some member must contain
    drive_id: str | None = None  # Google Drive files go through gdown


LECTURE = Archive(
    "lecture", "anomaly_detection_data.zip",
    "https://drive.google.com/file/d/1iYsTe0OVD3dawP7HWsMZp7YDlzkwDllG/view", None, "lecture",
    ("train/good/", "trained_model.pt"), drive_id="1iYsTe0OVD3dawP7HWsMZp7YDlzkwDllG")
MVTEC_CAPSULE = Archive(
    "mvtec-capsule", "capsule.tar.xz",
    "https://www.mydrive.ch/shares/38536/3830184030e49fe74747669442f0f282/download/"
    "420937454-1629951595/capsule.tar.xz",
    "380afc46701c99cb7b9a928edbe16eb5", "mvtec_capsule", ("capsule/train/good/", "capsule/ground_truth/"))
ARCHIVES = {a.name: a for a in (LECTURE, MVTEC_CAPSULE)}
OFFLINE_HINT = ("Offline, the lectures use the synthetic capsule instead "
                "(python -m lecture_utils data synthetic-capsule DIR).")


def cache_dir(folder=None) -> Path:
    """``folder`` if given (created), else ``config.data_dir()``."""
    if folder is None:
        return config.data_dir()
    folder = Path(folder).expanduser()
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def unpacked(archive: Archive, folder=None) -> Path | None:
    """The unpacked folder of ``archive`` if it is complete in the cache, else None (no network)."""
    target = cache_dir(folder) / archive.folder
    return target if (target / COMPLETE).is_file() else None


def fetch(archive: Archive | str, folder=None) -> Path:
    """Download (unless cached), check and unpack ``archive``; return its unpacked folder."""
    archive = ARCHIVES[archive] if isinstance(archive, str) else archive
    done = unpacked(archive, folder)
    if done is not None:
        return done
    cache = cache_dir(folder)
    file = cache / archive.filename
    if not file.is_file():
        part = file.with_name(file.name + ".part")
        _download(archive, part)
        _check(archive, part, file)
        os.replace(part, file)
    else:
        _check(archive, file, file)
    return _unpack(archive, file, cache / archive.folder)


def _manual(archive: Archive, file: Path) -> str:
    return (f"Download it in a browser from {archive.url} and save it as {file}, then run again. "
            + OFFLINE_HINT)


def _download(archive: Archive, part: Path) -> None:
    """Fetch the file to ``part``; every failure becomes one DownloadError."""
    target = part.with_name(archive.filename)
    try:
        if archive.drive_id:
            import gdown
            result = gdown.download(id=archive.drive_id, output=str(part), quiet=False)
            if result is None or not part.is_file():
                raise OSError("gdown returned no file")
        else:
            _urlretrieve(archive.url, part)
    except Exception as e:  # noqa: BLE001 - network libraries raise many kinds; all mean "failed"
        part.unlink(missing_ok=True)
        raise DownloadError(f"could not download {archive.filename} ({type(e).__name__}: {e}). "
                            + _manual(archive, target)) from e


def _urlretrieve(url: str, out: Path, timeout: float = 60) -> None:
    with urllib.request.urlopen(url, timeout=timeout) as response, open(out, "wb") as f:
        total = int(response.headers.get("content-length") or 0) or None
        with tqdm(total=total, unit="B", unit_scale=True, desc=out.name) as bar:
            for chunk in iter(lambda: response.read(1 << 20), b""):
                f.write(chunk)
                bar.update(len(chunk))


def _digest(path: Path, algorithm: str) -> str:
    h = hashlib.new(algorithm)
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def _check(archive: Archive, path: Path, target: Path) -> None:
    """Raise DownloadError (and delete ``path``) unless it is the expected archive; record its
    size and SHA-256 beside it."""
    try:
        with open(path, "rb") as f:
            head = f.read(512).lower()
        if b"<html" in head or b"<!doctype html" in head:
            raise ValueError("got a web page instead of the archive (Google Drive shows one when "
                             "its download quota is exceeded or the file needs a confirmation)")
        if archive.md5 and _digest(path, "md5") != archive.md5:
            raise ValueError(f"its MD5 is not the published {archive.md5} (incomplete or corrupt)")
        names = _members(path)
        missing = [m for m in archive.members if not any(m in n for n in names)]
        if missing:
            raise ValueError(f"the archive lacks the expected members {missing}")
    except (OSError, ValueError, EOFError, zipfile.BadZipFile, tarfile.TarError) as e:
        path.unlink(missing_ok=True)
        raise DownloadError(f"{target} is not a usable {archive.filename}: {e}; it was deleted. "
                            + _manual(archive, target)) from e
    record = {"size": path.stat().st_size, "sha256": _digest(path, "sha256")}
    target.with_name(target.name + ".json").write_text(json.dumps(record, indent=1))


def _members(path: Path) -> list[str]:
    """Member names of a zip (CRC-tested) or tar archive."""
    if zipfile.is_zipfile(path):
        with zipfile.ZipFile(path) as z:
            bad = z.testzip()
            if bad is not None:
                raise ValueError(f"member {bad} is corrupt")
            return z.namelist()
    if tarfile.is_tarfile(path):
        with tarfile.open(path) as t:
            return t.getnames()
    raise ValueError("it is neither a zip nor a tar archive")


def _unpack(archive: Archive, file: Path, target: Path) -> Path:
    """Extract into a temporary folder beside ``target``, mark it complete, then rename it."""
    tmp = Path(tempfile.mkdtemp(prefix=f".{target.name}-", dir=target.parent))
    tmp.chmod(0o755)
    try:
        if zipfile.is_zipfile(file):
            with zipfile.ZipFile(file) as z:
                z.extractall(tmp)
        else:
            with tarfile.open(file) as t:
                if hasattr(tarfile, "data_filter"):   # refuses absolute paths and links out
                    t.extractall(tmp, filter="data")
                else:
                    t.extractall(tmp)
        (tmp / COMPLETE).write_text(file.name)
        if target.exists():
            shutil.rmtree(target)
        os.replace(tmp, target)
    except (OSError, EOFError, zipfile.BadZipFile, tarfile.TarError) as e:
        raise DownloadError(f"could not unpack {file} into {target}: {e}. Delete {file} and run "
                            "again, or unpack it there by hand.") from e
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return target


def find_mvtec_root(folder) -> Path | None:
    """The shallowest folder under ``folder`` that holds ``train/good`` (an MVTec-layout root)."""
    folder = Path(folder)
    hits = sorted((p.parent.parent for p in folder.rglob("good") if p.parent.name == "train"),
                  key=lambda p: (len(p.parts), str(p)))
    return hits[0] if hits else None


# --- MNIST -------------------------------------------------------------------------------------
MNIST_FILES = ("train-images-idx3-ubyte", "train-labels-idx1-ubyte",
               "t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte")
MNIST_ENV = "LECTURE_UTILS_MNIST"
MNIST_URL = "https://ossci-datasets.s3.amazonaws.com/mnist/"


def _mnist_raw(folder: Path) -> Path | None:
    """The folder among ``folder/MNIST/raw``, ``folder/raw``, ``folder`` holding all four idx
    files (plain or ``.gz``)."""
    for raw in (folder / "MNIST" / "raw", folder / "raw", folder):
        if all((raw / n).is_file() or (raw / f"{n}.gz").is_file() for n in MNIST_FILES):
            return raw
    return None


def find_mnist(root=None, folder=None) -> Path | None:
    """A root that ``torchvision.datasets.MNIST(root, download=False)`` can read, or None.

    Looks in ``root`` if given, else ``$LECTURE_UTILS_MNIST``, then the cache.  Compressed files
    (``ROOT/MNIST/raw/*.gz``, as torchvision downloads them) are decompressed into the cache,
    never next to themselves (``root`` may be read-only).
    """
    cache = cache_dir(folder) / "mnist"
    if root is not None:
        candidates = [Path(root).expanduser()]
    else:
        candidates = [Path(p).expanduser() for p in [os.environ.get(MNIST_ENV)] if p] + [cache]
    for candidate in candidates:
        raw = _mnist_raw(candidate) if candidate.is_dir() else None
        if raw is None:
            continue
        if raw == candidate / "MNIST" / "raw" and all((raw / n).is_file() for n in MNIST_FILES):
            return candidate
        return _decompress_into(raw, cache)
    return None


def _decompress_into(raw: Path, cache: Path) -> Path:
    """Copy (decompressing ``.gz``) the four idx files into ``cache/MNIST/raw``; return ``cache``."""
    out = cache / "MNIST" / "raw"
    out.mkdir(parents=True, exist_ok=True)
    for name in MNIST_FILES:
        if (out / name).is_file():
            continue
        tmp = out / f".{name}.tmp"
        try:
            if (raw / name).is_file():
                shutil.copyfile(raw / name, tmp)
            else:
                with gzip.open(raw / f"{name}.gz", "rb") as src, open(tmp, "wb") as dst:
                    shutil.copyfileobj(src, dst)
        except (OSError, EOFError) as e:
            tmp.unlink(missing_ok=True)
            raise DatasetError(f"cannot read the MNIST file {raw / (name + '.gz')}: {e}") from e
        os.replace(tmp, out / name)
    return cache


def mnist_root(root=None, download: bool = False, folder=None) -> Path:
    """Like `find_mnist`, but when nothing is found: download into the cache if ``download``,
    else raise a DatasetError that says where the files are expected."""
    found = find_mnist(root, folder)
    if found is not None:
        return found
    cache = cache_dir(folder) / "mnist"
    if root is not None:
        raise DatasetError(f"no MNIST files in {root}: expected {Path(root) / 'MNIST' / 'raw'}/"
                           f"{MNIST_FILES[0]}(.gz) and the three others")
    if not download:
        raise DatasetError(f"MNIST not found in {cache} (nor ${MNIST_ENV}); pass download=True "
                           f"(CLI: --download) or put the four idx .gz files in {cache / 'MNIST' / 'raw'}")
    return download_mnist(folder)


def download_mnist(folder=None) -> Path:
    """torchvision's MNIST download into the cache; failures become one DownloadError."""
    import torchvision
    cache = cache_dir(folder) / "mnist"
    try:
        torchvision.datasets.MNIST(str(cache), train=True, download=True)
    except Exception as e:  # noqa: BLE001 - torchvision wraps network errors in RuntimeError
        raise DownloadError(
            f"could not download MNIST ({type(e).__name__}: {_last_line(e)}). "
            f"Download the four files {', '.join(n + '.gz' for n in MNIST_FILES)} from {MNIST_URL} "
            f"into {cache / 'MNIST' / 'raw'}, then run again; offline, the lectures use "
            "scikit-learn's bundled digits instead.") from e
    return cache


def _last_line(error: Exception) -> str:
    lines = [line.strip() for line in str(error).splitlines() if line.strip()]
    return lines[-1] if lines else "no details"


def load_mnist(root, train: bool):
    """``(images uint8 [N, 28, 28], labels [N])`` of one MNIST split from a `find_mnist` root."""
    import torchvision
    ds = torchvision.datasets.MNIST(str(root), train=train, download=False)
    return ds.data, ds.targets
