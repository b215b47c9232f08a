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

import contextlib
import gzip
import hashlib
import json
import os
import shutil
import socket
import struct
import sys
import tarfile
import tempfile
import urllib.request
import zipfile
import zlib
from dataclasses import dataclass
from pathlib import Path

from tqdm.auto import tqdm

from .. import config
from .mvtec import DatasetError

COMPLETE = ".complete"   # written inside an unpacked folder once it is whole
TIMEOUT = 60.0           # seconds to wait for a server to connect or send the next bytes


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
    if folder.exists() and not folder.is_dir():
        raise DownloadError(f"the cache folder {folder} is a file; choose another --dir")
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
    return _unpack(file, cache / archive.folder)


def _manual(archive: Archive, file: Path) -> str:
    return (f"Download it in a browser from {archive.url} and save it as {file}, then run again. "
            + OFFLINE_HINT)


def _download(archive: Archive, part: Path) -> None:
    """Fetch the file to ``part``; every failure becomes one DownloadError."""
    target = part.with_name(archive.filename)
    try:
        if archive.drive_id:
            import gdown
            result = gdown.download(id=archive.drive_id, output=str(part), quiet=False, timeout=TIMEOUT)
            if result is None or not part.is_file():
                raise OSError("gdown returned no file")
        else:
            _urlretrieve(archive.url, part)
    except KeyboardInterrupt:
        part.unlink(missing_ok=True)
        raise
    except Exception as e:  # noqa: BLE001 - network libraries raise many kinds; all mean "failed"
        part.unlink(missing_ok=True)
        reason = f"no answer within {TIMEOUT:g} s" if _timed_out(e) else _last_line(e)
        raise DownloadError(f"could not download {archive.filename} ({type(e).__name__}: {reason}). "
                            + _manual(archive, target)) from e


def _timed_out(error: BaseException | None) -> bool:
    """True if ``error`` or what caused it is a timeout (urllib wraps it in URLError.reason)."""
    for _ in range(10):
        if error is None:
            return False
        if isinstance(error, (TimeoutError, socket.timeout)) or "timed out" in str(error).lower():
            return True
        reason = getattr(error, "reason", None)
        error = reason if isinstance(reason, BaseException) else (error.__cause__ or error.__context__)
    return False


def _urlretrieve(url: str, out: Path, timeout: float | None = None) -> None:
    """``url`` to ``out``; a server that does not connect or send for ``timeout`` s (default
    ``TIMEOUT``) raises TimeoutError."""
    with urllib.request.urlopen(url, timeout=timeout or TIMEOUT) as response, open(out, "wb") as f:
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


def _unpack(file: Path, target: Path) -> Path:
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
        if target.exists() and any(target.iterdir()):
            raise DownloadError(f"{target} exists but was not unpacked by lecture_utils (no {COMPLETE} file "
                                "in it); move it away and run again, or if it is complete, create an empty "
                                f"{target / COMPLETE}")
        if target.exists():
            target.rmdir()
        os.replace(tmp, target)
    except DownloadError:
        raise
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


def check_idx(path: Path, name: str | None = None) -> None:
    """DatasetError unless ``path`` is a whole idx file of MNIST's kind ``name`` (default: its file
    name): images 0x803 with 28x28 rows, labels 0x801, and as many bytes as the header's count says."""
    name = name or Path(path).name
    images = "images" in name
    try:
        with open(path, "rb") as f:
            header = f.read(16 if images else 8)
        size = Path(path).stat().st_size
    except OSError as e:
        raise DatasetError(f"cannot read the MNIST file {path}: {e}") from e
    fields = struct.unpack(">IIII" if images else ">II", header) if len(header) == (16 if images else 8) else None
    if fields is None or fields[0] != (0x803 if images else 0x801):
        raise DatasetError(f"{path} is not an MNIST idx {'image' if images else 'label'} file (bad header)")
    n = fields[1]
    if images and fields[2:] != (28, 28):
        raise DatasetError(f"{path} holds {fields[2]}x{fields[3]} images, not MNIST's 28x28")
    expected = (16 + n * 784) if images else (8 + n)
    if size != expected:
        raise DatasetError(f"{path} is truncated or padded: {size} bytes, its header says {expected}")


def _check_counts(raw: Path) -> None:
    """Images and labels of each split must be equally many."""
    for prefix in ("train", "t10k"):
        counts = []
        for kind in ("images-idx3", "labels-idx1"):
            with open(raw / f"{prefix}-{kind}-ubyte", "rb") as f:
                counts.append(struct.unpack(">II", f.read(8))[1])
        if counts[0] != counts[1]:
            raise DatasetError(f"{raw}: {counts[0]} {prefix} images but {counts[1]} labels")


def _heal(raw: Path) -> bool:
    """Check the idx files in the cache folder ``raw``; remove corrupt ones (with a one-line note);
    True if all four are there and good."""
    whole = True
    for name in MNIST_FILES:
        path = raw / name
        if not path.is_file():
            whole = False
            continue
        try:
            check_idx(path)
        except DatasetError as e:
            print(f"note: removed a corrupt MNIST cache entry ({e})", file=sys.stderr)
            path.unlink(missing_ok=True)
            whole = False
    if whole:
        try:
            _check_counts(raw)
        except DatasetError as e:
            print(f"note: removed corrupt MNIST cache entries ({e})", file=sys.stderr)
            for name in MNIST_FILES:
                (raw / name).unlink(missing_ok=True)
            whole = False
    return whole


def find_mnist(root=None, folder=None) -> Path | None:
    """A root that ``torchvision.datasets.MNIST(root, download=False)`` can read, or None.

    Looks in ``root`` if given (and only there), else ``$LECTURE_UTILS_MNIST``, then the cache.
    Every idx file is checked (header, size, counts) before it is used.  Compressed files
    (``ROOT/MNIST/raw/*.gz``, as torchvision downloads them) are decompressed into a cache folder
    of their own (``mnist/from-<key>``), never next to themselves (``root`` may be read-only);
    corrupt files in the cache are removed, corrupt files of yours are reported, never deleted.
    """
    cache = cache_dir(folder) / "mnist"
    if root is not None:
        candidates = [Path(root).expanduser()]
    else:
        candidates = [Path(p).expanduser() for p in [os.environ.get(MNIST_ENV)] if p] + [cache]
    for candidate in candidates:
        if candidate == cache and (cache / "MNIST" / "raw").is_dir():
            _heal(cache / "MNIST" / "raw")
            _heal_gz(cache / "MNIST" / "raw")
        raw = _mnist_raw(candidate) if candidate.is_dir() else None
        if raw is None:
            continue
        if raw == candidate / "MNIST" / "raw" and all((raw / n).is_file() for n in MNIST_FILES):
            for name in MNIST_FILES:
                check_idx(raw / name)
            _check_counts(raw)
            return candidate
        target = cache if candidate == cache else cache / f"from-{_source_key(raw)}"
        return _decompress_into(raw, target)
    return None


def _source_key(raw: Path) -> str:
    """Names the cache folder of MNIST files decompressed from ``raw``: its path, sizes and times."""
    stats = [(n, (raw / f"{n}.gz").stat().st_size, (raw / f"{n}.gz").stat().st_mtime_ns)
             if (raw / f"{n}.gz").is_file() else (n, 0, 0) for n in MNIST_FILES]
    return hashlib.sha1(json.dumps([str(raw.resolve()), stats]).encode()).hexdigest()[:10]


def _heal_gz(raw: Path) -> None:
    """Remove ``.gz`` files in the cache folder ``raw`` that do not decompress to a good idx file
    (e.g. a download that stalled halfway), when their decompressed file is missing."""
    for name in MNIST_FILES:
        gz = raw / f"{name}.gz"
        if gz.is_file() and not (raw / name).is_file():
            try:
                _gunzip_checked(gz, raw / f".{name}.check", name)
            except DatasetError as e:
                print(f"note: removed a corrupt MNIST cache entry ({e})", file=sys.stderr)
                gz.unlink(missing_ok=True)
            finally:
                (raw / f".{name}.check").unlink(missing_ok=True)


def _gunzip_checked(src: Path, tmp: Path, name: str) -> None:
    """Copy (decompressing a ``.gz``) ``src`` to ``tmp`` and check it is a whole idx file ``name``."""
    try:
        if src.suffix == ".gz":
            with gzip.open(src, "rb") as f, open(tmp, "wb") as dst:
                shutil.copyfileobj(f, dst)
        else:
            shutil.copyfile(src, tmp)
    except (OSError, EOFError, zlib.error) as e:
        tmp.unlink(missing_ok=True)
        raise DatasetError(f"cannot read the MNIST file {src}: {e}") from e
    try:
        check_idx(tmp, name)
    except DatasetError as e:
        tmp.unlink(missing_ok=True)
        raise DatasetError(str(e).replace(str(tmp), str(src))) from None


def _decompress_into(raw: Path, cache: Path) -> Path:
    """Copy (decompressing ``.gz``) the four idx files into ``cache/MNIST/raw``, each checked
    before it is renamed into place; return ``cache``."""
    out = cache / "MNIST" / "raw"
    out.mkdir(parents=True, exist_ok=True)
    _heal(out)
    for name in MNIST_FILES:
        if (out / name).is_file():
            continue
        src = raw / name if (raw / name).is_file() else raw / f"{name}.gz"
        tmp = out / f".{name}.tmp"
        _gunzip_checked(src, tmp, name)
        os.replace(tmp, out / name)
    _check_counts(out)
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


@contextlib.contextmanager
def _socket_timeout(seconds: float):
    """Every socket opened meanwhile without its own timeout gets ``seconds`` (torchvision's download)."""
    old = socket.getdefaulttimeout()
    socket.setdefaulttimeout(seconds)
    try:
        yield
    finally:
        socket.setdefaulttimeout(old)


def download_mnist(folder=None) -> Path:
    """torchvision's MNIST download into the cache (``TIMEOUT`` seconds per connect or read), then
    checked like any cache entry; failures become one DownloadError."""
    import torchvision
    cache = cache_dir(folder) / "mnist"
    try:
        with _socket_timeout(TIMEOUT):
            torchvision.datasets.MNIST(str(cache), train=True, download=True)
        if find_mnist(cache, folder) is None:
            raise DatasetError("the downloaded files are incomplete")
    except Exception as e:  # noqa: BLE001 - torchvision wraps network errors in RuntimeError
        reason = f"no answer within {TIMEOUT:g} s" if _timed_out(e) else _last_line(e)
        raise DownloadError(
            f"could not download MNIST ({type(e).__name__}: {reason}). "
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
