"""Downloads into the cache folder (``config.data_dir()``), checked and cached, on pooch
(https://www.fatiando.org/pooch/): the lecture archive, MVTec AD's capsule and the lecturer's weights
(`Archive`: a URL, or a Google Drive id that gdown fetches) and MNIST (from torchvision's mirrors, read by
torchvision); docs/data.md.  pooch downloads into a temporary file beside the final one and renames it
once checked (`retrieve`); an archive is unpacked into a temporary folder renamed into place.  Every
failure raises one `DownloadError`: why (`why`: by the exceptions' types), then how to go on by hand.
"""
from __future__ import annotations

import contextlib
import errno
import gzip
import hashlib
import http.client
import inspect
import json
import logging
import lzma
import os
import re
import shutil
import socket
import ssl
import struct
import sys
import tarfile
import tempfile
import urllib.parse
import zipfile
import zlib
from dataclasses import dataclass
from pathlib import Path

import pooch

from .. import config
from ..errors import LectureError
from ..messages import say
from ..outputs import write_text
from ..progress import bar, one_line_bars
from .mvtec import DatasetError

COMPLETE = ".complete"   # written inside an unpacked folder once it is whole
TIMEOUT = 60.0           # seconds to wait for a server to connect or send the next bytes
COLAB_ROOT = Path("/content")   # what Colab's Files panel shows
UNREACHABLE = (errno.ENETUNREACH, errno.EHOSTUNREACH, errno.ENETDOWN)   # an OSError's errno: no network
# What reading a damaged or cut-off archive raises (gzip's BadGzipFile is an OSError, so it comes first).
DAMAGED = (EOFError, zipfile.BadZipFile, tarfile.TarError, lzma.LZMAError, zlib.error, gzip.BadGzipFile)


class DownloadError(LectureError, OSError):
    """A download or its check failed: the message says what, and how to go on by hand (a notebook
    shows it as one line)."""

    @property
    def reason(self) -> str:
        """What failed, in one clause: the message's field ``reason`` if it has one, else the message."""
        return str(self.fields.get("reason", self))


class Failed(Exception):
    """What `retrieve` raises: ``reason`` (one clause, `why`); ``unusable``: a file came but it is
    not the one expected (and was deleted), rather than nothing."""

    def __init__(self, reason: str, unusable: bool = False):
        super().__init__(reason)
        self.reason, self.unusable = reason, unusable


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
        raise DownloadError("cache_is_file", folder=folder)
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def unpacked(archive: Archive, folder=None) -> Path | None:
    """The unpacked folder of ``archive`` if it is complete in the cache, else None (no network)."""
    target = cache_dir(folder) / archive.folder
    return target if (target / COMPLETE).is_file() else None


def fetch(archive: Archive | str, folder=None) -> Path:
    """Download (unless cached), check and unpack ``archive``; return its unpacked folder.  An archive
    already in the cache (put there by hand, or its unpacked folder deleted) is checked, not downloaded."""
    archive = ARCHIVES[archive] if isinstance(archive, str) else archive
    done = unpacked(archive, folder)
    if done is not None:
        return done
    cache = cache_dir(folder)
    file = cache / archive.filename
    try:
        if file.is_file():
            _check(archive, file, md5=True)
            _record(file)
        else:
            _download(archive, file)
    except Failed as e:
        raise DownloadError("unusable" if e.unusable else "download_failed", path=file, what=archive.filename,
                            reason=e.reason, how=_manual(archive, file)) from e
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


def _download(archive: Archive, file: Path) -> None:
    """The archive into ``file`` by `retrieve`: gdown for a Google Drive id, else pooch's HTTP
    downloader; checked (`_check`) before it gets its name; where it came from recorded beside it."""
    location = archive.location()
    drive = drive_id(location)
    waiting(archive.filename, ["drive.google.com" if drive else location])
    how = gdown_download(archive.filename, file, id=drive) if drive else http_download(archive.filename, file)
    retrieve(location, file, archive.md5, how, check=lambda part: _check(archive, part))
    _record(file, location)


def retrieve(url: str, file: Path, md5: str | None, download, check=None) -> None:
    """pooch's download of ``url`` to ``file``: ``download(url, part)`` writes a temporary file beside
    it (which pooch deletes whatever happens, Ctrl-C too), ``check(part)`` may refuse it, pooch
    compares its MD5 (if given) and only then renames it to ``file``.  Every failure is a `Failed`."""
    def checked(url, part, _pooch):
        try:
            download(url, part)
        except Exception as e:  # any network library's failure: `why` reads its type
            raise Failed(why(e)) from e
        if check is not None:
            check(Path(part))
    try:
        with _pooch_quiet():
            pooch.retrieve(url, known_hash=md5 and f"md5:{md5}", fname=file.name, path=file.parent,
                           downloader=checked)
    except ValueError as e:   # pooch's MD5 check: `checked` raises nothing but Failed
        raise Failed(say("reason_md5", md5=md5), unusable=True) from e


@contextlib.contextmanager
def _pooch_quiet():
    """Meanwhile pooch logs only warnings: its English lines (what it downloads, the SHA-256
    to pin) are said by `waiting` and `Progress` instead, in the notebook's language."""
    logger = pooch.get_logger()
    level = logger.level
    logger.setLevel(logging.WARNING)
    try:
        yield
    finally:
        logger.setLevel(level)


def http_download(what: str, final: Path):
    """pooch's HTTP downloader (requests: ``TIMEOUT`` s to connect and for each read), drawing
    `Progress` for ``what`` and its ``final`` file; a downloader for `retrieve`."""
    def download(url, part):
        with contextlib.closing(Progress(what, final)) as progress:
            pooch.HTTPDownloader(timeout=TIMEOUT, progressbar=progress)(url, part, None)
    return download


def gdown_download(what: str, final: Path, **where):
    """gdown's download (``where``: ``id=`` a Google Drive file, or ``url=``), giving up when the
    server sends nothing for ``TIMEOUT`` s: gdown takes ``timeout`` from 6.3 on; before that (Colab
    has 5.2) requests gets it as its default (`requests_timeout`).  gdown's lines name ``what`` and
    ``final``, never the temporary file; a downloader for `retrieve`."""
    def download(url, part):
        import gdown
        options, limit = dict(where), contextlib.nullcontext()
        if takes_timeout(gdown.download):
            options["timeout"] = TIMEOUT
        else:
            limit = requests_timeout(TIMEOUT)
        with limit, open(part, "wb") as out, one_line_bars():
            gdown.download(output=out, quiet=False, log_messages=gdown_lines(what, final), **options)
    return download


class Progress:
    """The progress bar pooch's HTTP downloader draws on: pooch sets ``total`` once the server has
    answered, then the lines naming what is downloaded and its final file (`gdown_lines`, as gdown's)
    are said and tqdm's bar (one line in a notebook) is made, whose ``update`` and ``reset`` pooch
    calls; nothing while a server is silent.  Closed by its user: no bar stays open after a failure."""
    bar = None

    def __init__(self, what: str, final: Path):
        self.lines = gdown_lines(what, final)

    def _answered(self, total: int) -> None:
        print(self.lines["start"] + self.lines["output"], end="", file=sys.stderr, flush=True)
        self.bar = bar(total=total or None, unit="B", unit_scale=True)

    total = property(None, _answered)

    def __getattr__(self, name):   # update: the bar's
        return getattr(self.bar, name)

    def reset(self) -> None:       # pooch's way to fill the bar at the end: only with a known size (else 0 B)
        if self.bar.total:
            self.bar.reset()

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()


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
    return _recorded(cache_dir(folder) / archive.filename).get("source")


def _recorded(file: Path) -> dict:
    """What `_record` wrote beside ``file``; {} if nothing readable is there."""
    try:
        record = json.loads(file.with_name(file.name + ".json").read_text())
    except (OSError, ValueError):
        return {}
    return record if isinstance(record, dict) else {}


def _record(file: Path, source: str | None = None) -> None:
    """``NAME.json`` beside ``file``: its size, SHA-256 and where it was downloaded from (`downloaded_from`):
    ``source``, or for a file found in the cache the source recorded before, if it is the same file."""
    record = {"size": file.stat().st_size, "sha256": pooch.file_hash(str(file))}
    before = _recorded(file)
    source = source or (before.get("source") if before.get("sha256") == record["sha256"] else None)
    record |= {"source": source} if source else {}
    write_text(file.with_name(file.name + ".json"), json.dumps(record, indent=1))


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


def _chain(error: BaseException | None, depth: int = 10):
    """``error`` and what caused it (``reason`` of urllib3's and urllib's errors, ``__cause__``,
    ``__context__``)."""
    while error is not None and depth > 0:
        yield error
        reason = getattr(error, "reason", None)
        error = reason if isinstance(reason, BaseException) else (error.__cause__ or error.__context__)
        depth -= 1


def why(error: BaseException) -> str:
    """What went wrong, in words of the notebook's language, from the types of ``error`` and its
    causes (never from the wording of their messages); else an OSError's own words, else the last
    line of ``error``'s text."""
    import requests.exceptions as rq
    import urllib3.exceptions
    from gdown.exceptions import FileURLRetrievalError
    chain = list(_chain(error))

    def found(*types):
        return next((e for e in chain if isinstance(e, types)), None)
    if found(ConnectionRefusedError, socket.gaierror) or any(getattr(e, "errno", None) in UNREACHABLE for e in chain):
        return say("reason_offline")   # (before timeouts: urllib3's NewConnectionError is a ConnectTimeoutError)
    if found(TimeoutError, rq.Timeout, urllib3.exceptions.ReadTimeoutError):   # before ConnectionError: a
        return say("reason_timeout", seconds=TIMEOUT)                       # ConnectTimeout is one too
    if found(FileURLRetrievalError):
        return say("reason_drive")
    if found(ssl.SSLError, rq.SSLError):
        return say("reason_tls")
    if getattr(found(rq.HTTPError), "response", None) is not None:
        return say("reason_status", status=found(rq.HTTPError).response.status_code)
    if found(rq.ConnectionError, rq.ChunkedEncodingError, ConnectionError, http.client.HTTPException,
             urllib3.exceptions.ProtocolError):
        return say("reason_broken")
    return _file_reason(found(*DAMAGED, OSError)) if found(*DAMAGED, OSError) else _last_line(error)


def _file_reason(error: BaseException) -> str:
    """A refused or damaged archive in words, else an OSError's own words (``strerror``), else its last line."""
    if isinstance(error, getattr(tarfile, "FilterError", ())):   # the "data" filter's refusal (Python 3.11.4+)
        return say("reason_unsafe")
    if isinstance(error, DAMAGED):
        return say("reason_damaged")
    return getattr(error, "strerror", None) or _last_line(error)


def _last_line(error: BaseException, limit: int = 100) -> str:
    """The last non-empty line of ``error``'s text, at most ``limit`` characters."""
    lines = [line.strip() for line in str(error).splitlines() if line.strip()]
    line = lines[-1] if lines else say("reason_unknown")
    return line if len(line) <= limit else line[:limit - 1] + "…"


def _check(archive: Archive, path: Path, md5: bool = False) -> None:
    """`_expect` ``path`` to be the archive, else delete it and raise `Failed` (unusable)."""
    try:
        _expect(archive, path, md5)
    except Failed:
        path.unlink(missing_ok=True)
        raise
    except (OSError, *DAMAGED) as e:
        path.unlink(missing_ok=True)
        raise Failed(_file_reason(e), unusable=True) from e


def _expect(archive: Archive, path: Path, md5: bool) -> None:
    """`Failed` unless ``path`` is the archive: not a web page, its MD5 (if ``md5`` and one is
    published), each expected member, every zip member's CRC."""
    with open(path, "rb") as f:
        head = f.read(512).lower()
    if b"<html" in head or b"<!doctype html" in head:
        raise Failed(say("reason_web_page" if drive_id(archive.location()) else "reason_html"), unusable=True)
    if md5 and archive.md5 and pooch.file_hash(str(path), alg="md5") != archive.md5:
        raise Failed(say("reason_md5", md5=archive.md5), unusable=True)
    names = _members(path)
    missing = [m for m in archive.members if not any(m in n for n in names)]
    if missing:
        raise Failed(say("reason_members", missing=", ".join(missing)), unusable=True)


def _members(path: Path) -> list[str]:
    """Member names of a zip (CRC-tested) or tar archive."""
    if zipfile.is_zipfile(path):
        with zipfile.ZipFile(path) as z:
            bad = z.testzip()
            if bad is not None:
                raise Failed(say("reason_corrupt_member", member=bad), unusable=True)
            return z.namelist()
    if tarfile.is_tarfile(path):
        with tarfile.open(path) as t:
            return t.getnames()
    raise Failed(say("reason_not_archive"), unusable=True)


def _extract(file: Path, folder: Path) -> None:
    """Unpack the zip or tar ``file`` into ``folder``: zipfile drops absolute paths and "..", tarfile's
    "data" filter (Python 3.11.4 on) refuses them and links out of the folder."""
    if zipfile.is_zipfile(file):
        with zipfile.ZipFile(file) as z:
            z.extractall(folder)
    else:
        with tarfile.open(file) as t:
            t.extractall(folder, **({"filter": "data"} if hasattr(tarfile, "data_filter") else {}))


def _unpack(file: Path, target: Path) -> Path:
    """Extract (`_extract`) into a temporary folder beside ``target``, mark it complete,
    then rename it; a ``target`` with files in it (not ours: no ``COMPLETE``) is left alone."""
    if target.exists() and any(target.iterdir()):
        raise DownloadError("not_ours", folder=target, marker=COMPLETE)
    tmp = Path(tempfile.mkdtemp(prefix=f".{target.name}-", dir=target.parent))
    tmp.chmod(0o755)
    try:
        _extract(file, tmp)
        (tmp / COMPLETE).write_text(file.name)
        if target.exists():
            target.rmdir()                        # empty (checked above); fails if it no longer is
        os.replace(tmp, target)
    except (OSError, *DAMAGED) as e:
        raise DownloadError("unpack_failed", file=file,
                            reason=say("unpack_reason", file=file, folder=target, why=_file_reason(e))) from e
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
        raise DatasetError("idx_unreadable", path=path, reason=_last_line(e)) from e
    fields = struct.unpack(">IIII" if images else ">II", header) if len(header) == (16 if images else 8) else None
    if fields is None or fields[0] != (0x803 if images else 0x801):
        raise DatasetError("idx_header_images" if images else "idx_header_labels", path=path)
    n = fields[1]
    if images and fields[2:] != (28, 28):
        raise DatasetError("idx_shape", path=path, height=fields[2], width=fields[3])
    expected = (16 + n * 784) if images else (8 + n)
    if size != expected:
        raise DatasetError("idx_size", path=path, size=size, expected=expected)
    return n


def _check_raw(raw: Path) -> None:
    """DatasetError unless the four idx files in ``raw`` are whole and each split has as many
    labels as images."""
    for prefix in ("train", "t10k"):
        images, labels = (check_idx(raw / f"{prefix}-{kind}-ubyte") for kind in ("images-idx3", "labels-idx1"))
        if images != labels:
            raise DatasetError("idx_counts", folder=raw, images=images, split=prefix, labels=labels)


def _remove_corrupt(paths, error: DatasetError) -> None:
    print(say("removed_corrupt", reason=error), file=sys.stderr)
    for path in paths:
        path.unlink(missing_ok=True)


def _heal(raw: Path) -> None:
    """Bring the cache folder ``raw`` to whole idx files: a ``.gz`` whose idx file is missing is
    decompressed into place once checked; removed, with a one-line note each, are a corrupt idx file,
    a ``.gz`` that does not decompress to a good one (a download that stalled halfway), and all four
    idx files when images and labels are not equally many."""
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
                os.replace(check, path)
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
        raise DatasetError("idx_unreadable", path=src, reason=_last_line(e)) from e
    try:
        check_idx(tmp)
    except DatasetError as e:
        tmp.unlink(missing_ok=True)
        raise DatasetError(e.message, **(e.fields | {"path": src})) from None     # named as the user knows it


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
        raise DatasetError("mnist_not_in", root=root, first=Path(root) / "MNIST" / "raw" / MNIST_FILES[0])
    if not download:
        raise DatasetError("mnist_not_found", cache=cache, env=MNIST_ENV, raw=cache / "MNIST" / "raw")
    return download_mnist(folder)


def download_mnist(folder=None) -> Path:
    """MNIST's four ``.gz`` files by `retrieve` from torchvision's mirrors (``MNIST.mirrors``, in
    order), each against torchvision's MD5 (``MNIST.resources``), into the cache where torchvision
    reads them; then checked like any cache entry; a failure becomes one DownloadError."""
    from torchvision.datasets import MNIST
    cache = cache_dir(folder) / "mnist"
    raw = cache / "MNIST" / "raw"
    waiting("MNIST", MNIST.mirrors)
    try:
        for name, md5 in MNIST.resources:
            if not (raw / name.removesuffix(".gz")).is_file():
                _from_mirrors(name, md5, MNIST.mirrors, raw)
        if find_mnist(cache, folder) is None:
            raise DatasetError("mnist_incomplete")
    except (Failed, DatasetError) as e:
        raise DownloadError("download_failed", what="MNIST", reason=e.reason if isinstance(e, Failed) else e,
                            how=by_hand(mnist_files(), MNIST_URL, raw) + " " + say("offline_digits")) from e
    return cache


def _from_mirrors(name: str, md5: str, mirrors: list[str], raw: Path) -> None:
    """``raw/name`` from the first of ``mirrors`` that serves it, else the first mirror's `Failed`."""
    failures = []
    for mirror in mirrors:
        try:
            return retrieve(mirror + name, raw / name, md5, http_download(name, raw / name))
        except Failed as e:
            failures.append(e)
    raise failures[0]


def load_mnist(root, train: bool):
    """``(images uint8 [N, 28, 28], labels [N])`` of one MNIST split from a `find_mnist` root."""
    import torchvision
    ds = torchvision.datasets.MNIST(str(root), train=train, download=False)
    return ds.data, ds.targets
