"""Downloads into the cache folder (``config.data_dir()``), checked and cached: the lecture archive,
MVTec AD's capsule (gdown, from a Google Drive id or a URL) and MNIST (torchvision); docs/data.md.
An archive is downloaded to ``NAME.part``, checked, unpacked into a temporary folder and renamed
into place.  Every failure raises one `DownloadError`: why, then how to go on by hand (`messages`).
"""
from __future__ import annotations

import contextlib
import gzip
import hashlib
import inspect
import json
import os
import re
import shutil
import socket
import struct
import sys
import tarfile
import tempfile
import urllib.parse
import zipfile
import zlib
from dataclasses import dataclass
from pathlib import Path

from .. import config
from ..errors import OneLineError
from ..messages import say
from ..progress import one_line_bars
from .mvtec import DatasetError

COMPLETE = ".complete"   # written inside an unpacked folder once it is whole
TIMEOUT = 60.0           # seconds to wait for a server to connect or send the next bytes
COLAB_ROOT = Path("/content")   # what Colab's Files panel shows


class DownloadError(OneLineError, OSError):
    """A download or its check failed; ``reason`` says what (one clause), the message adds how to
    go on by hand (a notebook shows it as one line)."""

    def __init__(self, message: str, reason: str | None = None):
        super().__init__(message)
        self.reason = reason or message


@dataclass(frozen=True)
class Archive:
    """One downloadable archive: where it comes from and what it must contain."""
    name: str                    # as on the command line
    filename: str
    source: str                  # a Google Drive file id or a URL
    md5: str | None              # known MD5 of the archive, if any
    folder: str                  # unpacked folder in the cache
    members: tuple[str, ...]     # path fragments that some member must contain
    env: str                     # environment variable that replaces ``source`` (a mirror)

    def location(self) -> str:
        """``$env`` if set (a Drive id or URL of a course's own copy), else ``source``."""
        return os.environ.get(self.env, "").strip() or self.source

    @property
    def url(self) -> str:
        """What a browser can open to download the archive by hand."""
        return browser_url(self.location())


LECTURE = Archive(
    "lecture", "anomaly_detection_data.zip", "1iYsTe0OVD3dawP7HWsMZp7YDlzkwDllG", None, "lecture",
    ("train/good/", "trained_model.pt"), env="LECTURE_UTILS_ARCHIVE_URL")
MVTEC_CAPSULE = Archive(
    "mvtec-capsule", "capsule.tar.xz",
    "https://www.mydrive.ch/shares/38536/3830184030e49fe74747669442f0f282/download/"
    "420937454-1629951595/capsule.tar.xz",
    "380afc46701c99cb7b9a928edbe16eb5", "mvtec_capsule", ("capsule/train/good/", "capsule/ground_truth/"),
    env="LECTURE_UTILS_MVTEC_URL")
ARCHIVES = {a.name: a for a in (LECTURE, MVTEC_CAPSULE)}


def drive_id(location: str) -> str | None:
    """The Google Drive file id in ``location`` (a bare id or a drive.google.com link), else None."""
    if re.fullmatch(r"[-\w]{20,}", location):
        return location
    if urllib.parse.urlsplit(location).hostname not in ("drive.google.com", "drive.usercontent.google.com"):
        return None
    match = re.search(r"/d/([-\w]{20,})|[?&]id=([-\w]{20,})", location)
    return (match.group(1) or match.group(2)) if match else None


def browser_url(location: str) -> str:
    """What a browser can open to download from ``location``: a Google Drive id becomes its link."""
    drive = drive_id(location)
    return f"https://drive.google.com/file/d/{drive}" if drive else location


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
        _download(archive, part, file)
        _check(archive, part, file, source=archive.location())
        os.replace(part, file)
    else:
        _check(archive, file, file)
    return _unpack(file, cache / archive.folder)


def shown(folder: Path) -> str:
    """``folder`` as the user finds it: in Colab relative to /content (the Files panel's top)."""
    folder = Path(folder)
    if config.in_colab() and folder.is_relative_to(COLAB_ROOT):
        return str(folder.relative_to(COLAB_ROOT))
    return str(folder)


def by_hand(what: str, url: str, folder: Path) -> str:
    """How to download ``what`` in a browser and where to put it (in Colab: upload with the Files panel)."""
    return say("by_hand_colab" if config.in_colab() else "by_hand", what=what, url=url, folder=shown(folder))


def _manual(archive: Archive, file: Path) -> str:
    return by_hand(archive.filename, archive.url, file.parent) + " " + say("offline_capsule")


def _download(archive: Archive, part: Path, file: Path) -> None:
    """gdown's download of the archive (a Drive id or any URL) to ``part``, giving up when the server
    sends nothing for ``TIMEOUT`` s: gdown takes ``timeout`` from 6.3 on; before that (Colab has 5.2)
    requests gets it as its default (`requests_timeout`).  gdown's lines name what is downloaded and
    ``file``, the name it will have once checked (never the in-progress ``part``), in the notebook's
    language.  Every failure becomes one DownloadError (``part`` removed)."""
    drive = drive_id(archive.location())
    where = {"id": drive} if drive else {"url": archive.location()}
    waiting(archive.filename, ["drive.google.com" if drive else archive.location()])
    try:
        import gdown
        limit = contextlib.nullcontext()
        if takes_timeout(gdown.download):
            where["timeout"] = TIMEOUT
        else:
            limit = requests_timeout(TIMEOUT)
        with limit, open(part, "wb") as out, one_line_bars():
            gdown.download(output=out, quiet=False, log_messages=gdown_lines(archive.filename, file), **where)
    except BaseException as e:  # network libraries raise many kinds; all mean "failed"
        part.unlink(missing_ok=True)
        if not isinstance(e, Exception):     # KeyboardInterrupt: stop, without the part file
            raise
        reason = why(e)
        raise DownloadError(say("download_failed", what=archive.filename, reason=reason) + " "
                            + _manual(archive, part.with_name(archive.filename)), reason) from e


def waiting(what: str, servers: list[str]) -> None:
    """One line on stderr before a download starts: what, from which hosts, and how long a silent
    server is waited for (else a server that never answers leaves the cell silent)."""
    hosts = [urllib.parse.urlsplit(s).netloc or s for s in servers]
    print(say("download_wait", what=what, host=", ".join(dict.fromkeys(hosts)), seconds=TIMEOUT),
          file=sys.stderr, flush=True)


def gdown_lines(what: str, file: Path) -> dict:
    """gdown's ``log_messages``: its first line and its ``To:`` line, which names ``file``."""
    return {"start": say("download_start", what=what) + "\n", "output": say("download_to", path=file) + "\n"}


def downloaded_from(archive: Archive, folder=None) -> str | None:
    """Where the archive in the cache was downloaded from (``Archive.location()`` then), or None if
    that is not recorded (a file put there by hand, or downloaded before this was recorded)."""
    record = cache_dir(folder) / f"{archive.filename}.json"
    try:
        return json.loads(record.read_text()).get("source")
    except (OSError, ValueError, AttributeError):
        return None


def takes_timeout(function) -> bool:
    """True if ``function`` (gdown.download) has a ``timeout`` parameter (gdown 6.3 and later)."""
    return "timeout" in inspect.signature(function).parameters


@contextlib.contextmanager
def requests_timeout(seconds: float):
    """Meanwhile every request that requests sends without a timeout gets ``seconds`` for connecting
    and for each read.  (``socket.setdefaulttimeout`` does not reach requests: urllib3 sets the
    socket's timeout to None itself.)"""
    from requests.adapters import HTTPAdapter
    send = HTTPAdapter.send

    def send_with_timeout(self, request, *args, timeout=None, **kwargs):
        return send(self, request, *args, timeout=seconds if timeout is None else timeout, **kwargs)
    HTTPAdapter.send = send_with_timeout
    try:
        yield
    finally:
        HTTPAdapter.send = send


OFFLINE_WORDS = ("connection refused", "name or service not known", "temporary failure in name resolution",
                 "failed to resolve", "network is unreachable", "nodename nor servname", "getaddrinfo failed",
                 "no route to host")


def _chain(error: BaseException | None, depth: int = 10):
    """``error`` and what caused it (``reason`` of urllib's errors, ``__cause__``, ``__context__``)."""
    while error is not None and depth > 0:
        yield error
        reason = getattr(error, "reason", None)
        error = reason if isinstance(reason, BaseException) else (error.__cause__ or error.__context__)
        depth -= 1


def why(error: BaseException) -> str:
    """What went wrong, in words of the notebook's language, never an exception's type name."""
    chain = list(_chain(error))
    texts = [str(e).lower() for e in chain]
    if any(isinstance(e, TimeoutError) for e in chain) or any("timed out" in t for t in texts):
        return say("reason_timeout", seconds=TIMEOUT)
    if any(type(e).__name__ == "FileURLRetrievalError" for e in chain):
        return say("reason_drive")
    if any(isinstance(e, (ConnectionRefusedError, socket.gaierror)) for e in chain) or any(
            w in t for t in texts for w in OFFLINE_WORDS):
        return say("reason_offline")
    return _last_line(error)


def _last_line(error: BaseException, limit: int = 100) -> str:
    """The last non-empty line of ``error``'s text, at most ``limit`` characters."""
    lines = [line.strip() for line in str(error).splitlines() if line.strip()]
    line = lines[-1] if lines else say("reason_unknown")
    return line if len(line) <= limit else line[:limit - 1] + "…"


def _digest(path: Path, algorithm: str) -> str:
    with open(path, "rb") as f:
        return hashlib.file_digest(f, algorithm).hexdigest()


def _check(archive: Archive, path: Path, target: Path, source: str | None = None) -> None:
    """Raise DownloadError (and delete ``path``) unless it is the expected archive; record its
    size, SHA-256 and (if downloaded) ``source`` beside it."""
    try:
        with open(path, "rb") as f:
            head = f.read(512).lower()
        if b"<html" in head or b"<!doctype html" in head:
            raise ValueError(say("reason_web_page" if drive_id(archive.location()) else "reason_html"))
        if archive.md5 and _digest(path, "md5") != archive.md5:
            raise ValueError(say("reason_md5", md5=archive.md5))
        names = _members(path)
        missing = [m for m in archive.members if not any(m in n for n in names)]
        if missing:
            raise ValueError(say("reason_members", missing=", ".join(missing)))
    except (OSError, ValueError, EOFError, zipfile.BadZipFile, tarfile.TarError) as e:
        path.unlink(missing_ok=True)
        reason = str(e) if isinstance(e, ValueError) else _last_line(e)
        raise DownloadError(say("unusable", path=target, what=archive.filename, reason=reason) + " "
                            + _manual(archive, target), reason) from e
    record = {"size": path.stat().st_size, "sha256": _digest(path, "sha256")} | ({"source": source} if source else {})
    target.with_name(target.name + ".json").write_text(json.dumps(record, indent=1))


def _members(path: Path) -> list[str]:
    """Member names of a zip (CRC-tested) or tar archive."""
    if zipfile.is_zipfile(path):
        with zipfile.ZipFile(path) as z:
            bad = z.testzip()
            if bad is not None:
                raise ValueError(say("reason_corrupt_member", member=bad))
            return z.namelist()
    if tarfile.is_tarfile(path):
        with tarfile.open(path) as t:
            return t.getnames()
    raise ValueError(say("reason_not_archive"))


def _unpack(file: Path, target: Path) -> Path:
    """Extract into a temporary folder beside ``target``, mark it complete, then rename it; a
    ``target`` with files in it (not ours: no ``COMPLETE``) is left alone."""
    if target.exists() and any(target.iterdir()):
        raise DownloadError(say("not_ours", folder=target, marker=COMPLETE))
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
            target.rmdir()                        # empty (checked above); fails if it no longer is
        os.replace(tmp, target)
    except (OSError, EOFError, zipfile.BadZipFile, tarfile.TarError) as e:
        raise DownloadError(say("unpack_failed", file=file, folder=target, reason=_last_line(e))) from e
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


def mnist_files() -> str:
    """The four compressed idx files MNIST_URL serves, as a list to name in a message."""
    return ", ".join(n + ".gz" for n in MNIST_FILES)


def _mnist_raw(folder: Path) -> Path | None:
    """The folder among ``folder/MNIST/raw``, ``folder/raw``, ``folder`` holding all four idx
    files (plain or ``.gz``)."""
    for raw in (folder / "MNIST" / "raw", folder / "raw", folder):
        if all((raw / n).is_file() or (raw / f"{n}.gz").is_file() for n in MNIST_FILES):
            return raw
    return None


def check_idx(path: Path) -> int:
    """The count of a whole MNIST idx file, of images if its name says so (0x803, 28x28 rows), else
    of labels (0x801), with as many bytes as that count says; else DatasetError."""
    images = "images" in Path(path).name
    try:
        with open(path, "rb") as f:
            header = f.read(16 if images else 8)
        size = Path(path).stat().st_size
    except OSError as e:
        raise DatasetError(say("idx_unreadable", path=path, reason=_last_line(e))) from e
    fields = struct.unpack(">IIII" if images else ">II", header) if len(header) == (16 if images else 8) else None
    if fields is None or fields[0] != (0x803 if images else 0x801):
        raise DatasetError(say("idx_header_images" if images else "idx_header_labels", path=path))
    n = fields[1]
    if images and fields[2:] != (28, 28):
        raise DatasetError(say("idx_shape", path=path, height=fields[2], width=fields[3]))
    expected = (16 + n * 784) if images else (8 + n)
    if size != expected:
        raise DatasetError(say("idx_size", path=path, size=size, expected=expected))
    return n


def _check_raw(raw: Path) -> None:
    """DatasetError unless the four idx files in ``raw`` are whole and each split has as many
    labels as images."""
    for prefix in ("train", "t10k"):
        images, labels = (check_idx(raw / f"{prefix}-{kind}-ubyte") for kind in ("images-idx3", "labels-idx1"))
        if images != labels:
            raise DatasetError(say("idx_counts", folder=raw, images=images, split=prefix, labels=labels))


def _remove_corrupt(paths, error: DatasetError) -> None:
    print(say("removed_corrupt", reason=error), file=sys.stderr)
    for path in paths:
        path.unlink(missing_ok=True)


def _heal(raw: Path) -> None:
    """Remove from the cache folder ``raw``, with a one-line note each: a corrupt idx file, a
    ``.gz`` whose idx file is missing and that does not decompress to a good one (a download that
    stalled halfway), and all four idx files when images and labels are not equally many."""
    for name in MNIST_FILES:
        path, gz, check = raw / name, raw / f"{name}.gz", raw / f".{name}.check"
        try:
            if path.is_file():
                check_idx(path)
        except DatasetError as e:
            _remove_corrupt([path], e)
        try:
            if gz.is_file() and not path.is_file():
                _gunzip_checked(gz, check)
        except DatasetError as e:
            _remove_corrupt([gz], e)
        finally:
            check.unlink(missing_ok=True)
    if all((raw / n).is_file() for n in MNIST_FILES):
        try:
            _check_raw(raw)
        except DatasetError as e:
            _remove_corrupt([raw / n for n in MNIST_FILES], e)


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
        raw = _mnist_raw(candidate) if candidate.is_dir() else None
        if raw is None:
            continue
        if raw == candidate / "MNIST" / "raw" and all((raw / n).is_file() for n in MNIST_FILES):
            _check_raw(raw)
            return candidate
        target = cache if candidate == cache else cache / f"from-{_source_key(raw)}"
        return _decompress_into(raw, target)
    return None


def _source_key(raw: Path) -> str:
    """Names the cache folder of MNIST files decompressed from ``raw``: its path, sizes and times."""
    stats = [(n, (raw / f"{n}.gz").stat().st_size, (raw / f"{n}.gz").stat().st_mtime_ns)
             if (raw / f"{n}.gz").is_file() else (n, 0, 0) for n in MNIST_FILES]
    return hashlib.sha1(json.dumps([str(raw.resolve()), stats]).encode()).hexdigest()[:10]


def _gunzip_checked(src: Path, tmp: Path) -> None:
    """Copy (decompressing a ``.gz``) ``src`` to ``tmp``, whose name holds the idx file's, and check it."""
    try:
        if src.suffix == ".gz":
            with gzip.open(src, "rb") as f, open(tmp, "wb") as dst:
                shutil.copyfileobj(f, dst)
        else:
            shutil.copyfile(src, tmp)
    except (OSError, EOFError, zlib.error) as e:
        tmp.unlink(missing_ok=True)
        raise DatasetError(say("idx_unreadable", path=src, reason=_last_line(e))) from e
    try:
        check_idx(tmp)
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
        _gunzip_checked(src, tmp)
        os.replace(tmp, out / name)
    _check_raw(out)
    return cache


def mnist_root(root=None, download: bool = False, folder=None) -> Path:
    """Like `find_mnist`, but when nothing is found: download into the cache if ``download``,
    else raise a DatasetError that says where the files are expected."""
    found = find_mnist(root, folder)
    if found is not None:
        return found
    cache = cache_dir(folder) / "mnist"
    if root is not None:
        raise DatasetError(say("mnist_not_in", root=root, first=Path(root) / "MNIST" / "raw" / MNIST_FILES[0]))
    if not download:
        raise DatasetError(say("mnist_not_found", cache=cache, env=MNIST_ENV, raw=cache / "MNIST" / "raw"))
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
    waiting("MNIST", torchvision.datasets.MNIST.mirrors)
    try:
        with _socket_timeout(TIMEOUT), one_line_bars():
            torchvision.datasets.MNIST(str(cache), train=True, download=True)
        if find_mnist(cache, folder) is None:
            raise DatasetError(say("mnist_incomplete"))
    except Exception as e:  # noqa: BLE001 - torchvision wraps network errors in RuntimeError
        reason = why(e)
        raise DownloadError(say("download_failed", what="MNIST", reason=reason) + " "
                            + by_hand(mnist_files(), MNIST_URL, cache / "MNIST" / "raw") + " "
                            + say("offline_digits"), reason) from e
    return cache


def load_mnist(root, train: bool):
    """``(images uint8 [N, 28, 28], labels [N])`` of one MNIST split from a `find_mnist` root."""
    import torchvision
    ds = torchvision.datasets.MNIST(str(root), train=train, download=False)
    return ds.data, ds.targets
