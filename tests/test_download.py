"""Downloads: the real gdown and torchvision against a local HTTP server (`conftest.LocalServer`);
checking, unpacking, caching and loading run for real."""
import errno
import gzip
import http.client
import json
import logging
import lzma
import re
import shutil
import socket
import sys
import hashlib
import io
import struct
import tarfile
import tempfile
import time
import zipfile
from dataclasses import replace
from pathlib import Path
from unittest.mock import create_autospec

import numpy as np
import pooch
import pytest
import requests
import urllib3
from PIL import Image


from conftest import closed_port_url, zip_bytes

from lecture_utils import messages
from lecture_utils.data import download, sources
from lecture_utils.data.mvtec import DatasetError, load_split
from lecture_utils.data.download import LECTURE, MVTEC_CAPSULE, DownloadError


@pytest.fixture(autouse=True)
def cache(tmp_path, monkeypatch):
    monkeypatch.setenv("LECTURE_UTILS_DATA", str(tmp_path / "cache"))
    monkeypatch.delenv("LECTURE_UTILS_MNIST", raising=False)
    monkeypatch.delenv("LECTURE_UTILS_CAPSULE", raising=False)
    return tmp_path / "cache"


def png_bytes(value=128, size=8, mode="RGB"):
    buf = io.BytesIO()
    Image.new(mode, (size, size), value if mode == "L" else (value,) * 3).save(buf, format="PNG")
    return buf.getvalue()


def capsule_files(prefix):
    return {f"{prefix}train/good/000.png": png_bytes(), f"{prefix}train/good/001.png": png_bytes(90),
            f"{prefix}test/good/000.png": png_bytes(), f"{prefix}test/crack/000.png": png_bytes(200),
            f"{prefix}ground_truth/crack/000_mask.png": png_bytes(255, mode="L")}


def write_zip(path, files):
    with zipfile.ZipFile(path, "w") as z:
        for name, data in files.items():
            z.writestr(name, data)


LECTURE_FILES = {**capsule_files("anomaly_detection_data/capsule/"),
                 "anomaly_detection_data/trained_model.pt": b"weights"}


def serve_lecture(server, monkeypatch, body, path="/anomaly_detection_data.zip"):
    """The lecture archive's location set to ``path`` on the local server, which serves ``body``."""
    server.files[path] = body
    monkeypatch.setenv(LECTURE.env, server.url(path))
    return path


def serve_capsule(server, monkeypatch, body, md5=None, path="/capsule.tar.xz"):
    """The official capsule's location set to ``path`` on the local server (its MD5 ``md5``)."""
    server.files[path] = body
    monkeypatch.setenv(MVTEC_CAPSULE.env, server.url(path))
    monkeypatch.setitem(download.ARCHIVES, MVTEC_CAPSULE.name, replace(MVTEC_CAPSULE, md5=md5 or hashlib.md5(body).hexdigest()))
    return path


def tar_bytes(files):
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w:xz") as t:
        for name, data in files.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            t.addfile(info, io.BytesIO(data))
    return buf.getvalue()


QUOTA_PAGE = b"<!DOCTYPE html><html><title>Google Drive - Quota exceeded</title>Too many users</html>"


def test_lecture_archive_is_downloaded_checked_unpacked_and_reused(server, monkeypatch, cache):
    path = serve_lecture(server, monkeypatch, zip_bytes(LECTURE_FILES))
    folder = download.fetch("lecture")                                   # the real gdown, over HTTP
    assert folder == cache / "lecture" and (folder / download.COMPLETE).is_file()
    assert (cache / "anomaly_detection_data.zip.json").is_file()
    assert download.fetch("lecture") == folder and server.hits == [path]  # cached: no second download
    root, name = sources.capsule()
    assert name == "lecture" and root.name == "capsule"
    assert len(load_split(root, "test", image_size=8)) == 2
    assert sources.lecture_weights().read_bytes() == b"weights"
    assert not list(cache.glob(".lecture-*")) and not list(cache.glob("*.part*"))


def test_where_an_archive_came_from_outlives_its_unpacked_folder_but_not_a_swap(server, monkeypatch, cache):
    """Its unpacked folder deleted, the downloaded archive is unpacked again and still known as
    downloaded from its URL; another archive put there by hand under its name is not."""
    path = serve_lecture(server, monkeypatch, zip_bytes(LECTURE_FILES))
    download.fetch("lecture")
    shutil.rmtree(cache / "lecture")
    download.fetch("lecture")
    assert download.downloaded_from(LECTURE) == server.url(path) and server.hits == [path]
    shutil.rmtree(cache / "lecture")
    write_zip(cache / LECTURE.filename, {**LECTURE_FILES, "notes.txt": b"mine"})
    download.fetch("lecture")
    assert download.downloaded_from(LECTURE) is None and server.hits == [path]


def through_gdown(monkeypatch, url):
    """Archives from a URL downloaded by the real gdown (as a Google Drive id is) instead of pooch's
    HTTP downloader, so gdown's path runs against the local server."""
    monkeypatch.setattr(download, "http_download", lambda what, final: download.gdown_download(what, final, url=url))


@pytest.fixture
def pooch_log(monkeypatch):
    """What pooch logs meanwhile (its logger stands alone, writing to the stderr of its import)."""
    records = []
    handler = logging.Handler()
    handler.emit = records.append
    monkeypatch.setattr(pooch.get_logger(), "handlers", [handler])
    return records


@pytest.mark.parametrize("lang", ["en", "ja"])
@pytest.mark.parametrize("how", ["pooch", "gdown"])
def test_the_download_lines_name_the_final_file_never_the_temporary_one(server, monkeypatch, cache, capsys, lang,
                                                                        how, pooch_log):
    """What is downloaded and where to, in the notebook's language (pooch's own English lines are
    not shown: its logger is silenced meanwhile, then as it was); the temporary file pooch downloads
    into is no name to look for."""
    monkeypatch.setenv("LECTURE_UTILS_LANG", lang)
    path = serve_lecture(server, monkeypatch, zip_bytes(LECTURE_FILES))
    if how == "gdown":
        through_gdown(monkeypatch, server.url(path))
    level = pooch.get_logger().level
    download.fetch("lecture")
    err = capsys.readouterr().err
    final = cache / LECTURE.filename
    assert f"{'To' if lang == 'en' else '保存先'}: {final}\n" in err
    assert [err[i:].split()[0] for i in range(len(err)) if err.startswith(f"{cache}/", i)] == [str(final)]
    assert ("Downloading anomaly_detection_data.zip" in err) == (lang == "en")
    assert pooch_log == [] and pooch.get_logger().level == level
    assert download.downloaded_from(LECTURE) == server.url(path)         # recorded beside the archive


def test_archive_already_in_the_cache_is_not_downloaded(monkeypatch, cache):
    cache.mkdir(parents=True)
    write_zip(cache / LECTURE.filename, LECTURE_FILES)
    monkeypatch.setenv(LECTURE.env, closed_port_url())
    assert (download.fetch(LECTURE) / "anomaly_detection_data" / "trained_model.pt").is_file()
    assert download.downloaded_from(LECTURE) is None                     # put there by hand: no source claimed


@pytest.mark.parametrize("body, words", [
    (QUOTA_PAGE, "the server sent a web page, not the archive"),
    (zip_bytes(LECTURE_FILES)[:200], "not a zip or tar archive"),          # cut off mid-way
    (zip_bytes({"readme.txt": b"hello"}), "the archive lacks train/good/, trained_model.pt"),
    (None, "no network"),
])
def test_failed_lecture_download_says_how_to_go_on(server, monkeypatch, cache, body, words):
    if body is None:
        monkeypatch.setenv(LECTURE.env, closed_port_url())
    else:
        serve_lecture(server, monkeypatch, body)
    with pytest.raises(DownloadError) as err:
        download.fetch("lecture")
    message = str(err.value)
    assert err.value.reason == words and words in message
    assert download.LECTURE.url in message and str(cache) in message      # where to get it, where to put it
    assert "synthetic" in message and "Error" not in message               # the offline way; no type names
    assert not list(cache.glob(LECTURE.filename + "*"))                    # neither the file nor a .part
    assert isinstance(err.value, OSError) and "\n" not in message          # the CLI prints it in one line


def test_an_unpacked_folder_that_is_not_ours_is_left_alone(monkeypatch, cache):
    (cache / "lecture").mkdir(parents=True)
    (cache / "lecture" / "mine.txt").write_text("mine")
    write_zip(cache / LECTURE.filename, LECTURE_FILES)
    monkeypatch.setenv(LECTURE.env, closed_port_url())
    with pytest.raises(DownloadError, match="was not unpacked by lecture_utils"):
        download.fetch("lecture")
    assert sorted(p.name for p in (cache / "lecture").iterdir()) == ["mine.txt"]
    assert not list(cache.glob(".lecture-*"))


def test_the_archive_location_is_a_drive_id_or_a_url(monkeypatch):
    assert LECTURE.location() == LECTURE.source and download.drive_id(LECTURE.source) == LECTURE.source
    assert LECTURE.url == f"https://drive.google.com/file/d/{LECTURE.source}"
    monkeypatch.setenv(LECTURE.env, "https://drive.google.com/file/d/1AbCdEfGhIjKlMnOpQrStUv/view?usp=sharing")
    assert download.drive_id(LECTURE.location()) == "1AbCdEfGhIjKlMnOpQrStUv"
    monkeypatch.setenv(LECTURE.env, "https://example.org/course/anomaly_detection_data.zip")
    assert download.drive_id(LECTURE.location()) is None and LECTURE.url == LECTURE.location()


def test_a_drive_id_goes_to_gdown_by_id_and_its_refusal_reads_as_words(monkeypatch, cache):
    """gdown replaced by an autospec of itself: a keyword the installed gdown lacks fails the call."""
    import gdown
    from gdown.exceptions import FileURLRetrievalError
    fake = create_autospec(gdown.download, side_effect=FileURLRetrievalError(
        "Failed to retrieve file url:\n\n\tToo many users have viewed or downloaded this file recently."))
    monkeypatch.setattr(gdown, "download", fake)
    with pytest.raises(DownloadError) as err:
        download.fetch("lecture")
    assert err.value.reason == "Google Drive refused the file"
    assert fake.call_args.kwargs["id"] == LECTURE.source
    assert ("timeout" in fake.call_args.kwargs) == download.takes_timeout(gdown.download)


def test_mvtec_capsule_checked_by_md5(server, monkeypatch, cache):
    path = serve_capsule(server, monkeypatch, tar_bytes(capsule_files("capsule/")))
    folder = download.fetch("mvtec-capsule")
    assert (folder / "capsule" / "ground_truth" / "crack" / "000_mask.png").is_file()
    assert download.find_mvtec_root(folder) == folder / "capsule"
    assert download.fetch("mvtec-capsule") == folder and server.hits == [path]
    root, name = sources.capsule()
    assert name == "mvtec" and root == folder / "capsule"


def test_mvtec_capsule_with_wrong_md5_is_deleted(server, monkeypatch, cache):
    serve_capsule(server, monkeypatch, tar_bytes(capsule_files("capsule/")), md5="0" * 32)
    with pytest.raises(DownloadError, match="MD5") as err:
        download.fetch("mvtec-capsule")
    assert err.value.reason == f"its MD5 is not the published {'0' * 32}"
    assert not list(cache.iterdir())                                       # under no name


def test_an_archive_in_the_cache_with_the_wrong_md5_is_deleted_without_the_network(server, monkeypatch, cache):
    body = tar_bytes(capsule_files("capsule/"))
    serve_capsule(server, monkeypatch, body, md5="0" * 32)
    cache.mkdir(parents=True)
    (cache / MVTEC_CAPSULE.filename).write_bytes(body)                     # put there by hand
    with pytest.raises(DownloadError) as err:
        download.fetch("mvtec-capsule")
    assert err.value.reason == f"its MD5 is not the published {'0' * 32}" and "it was deleted" in str(err.value)
    assert server.hits == [] and not list(cache.iterdir())


def test_a_cache_written_before_pooch_keeps_working_offline(monkeypatch, cache):
    """The layout users' caches have: the archive, its record (NAME.json) and the unpacked folder with
    its marker; without the folder the archive is checked and unpacked again, with no network."""
    folder = cache / "lecture"
    (folder / "anomaly_detection_data").mkdir(parents=True)
    (folder / "anomaly_detection_data" / "trained_model.pt").write_bytes(b"weights")
    (folder / download.COMPLETE).write_text(LECTURE.filename)
    write_zip(cache / LECTURE.filename, LECTURE_FILES)
    record = {"size": 1, "sha256": "0" * 64, "source": "https://example.org/anomaly_detection_data.zip"}
    (cache / f"{LECTURE.filename}.json").write_text(json.dumps(record))
    monkeypatch.setenv(LECTURE.env, closed_port_url())
    assert download.fetch("lecture") == folder and sources.lecture_weights().read_bytes() == b"weights"
    assert download.downloaded_from(LECTURE) == record["source"]
    shutil.rmtree(folder)
    assert (download.fetch("lecture") / "anomaly_detection_data" / "capsule" / "train" / "good").is_dir()


def test_a_tar_member_outside_its_folder_is_refused(server, monkeypatch, cache):
    """tarfile's "data" filter on every Python that has it (pooch passes it only from 3.12 on)."""
    serve_capsule(server, monkeypatch, tar_bytes({**capsule_files("capsule/"), "../escaped.txt": b"x"}))
    with pytest.raises(DownloadError) as err:
        download.fetch("mvtec-capsule")
    assert str(err.value).startswith(f"could not unpack {cache / MVTEC_CAPSULE.filename} into {cache / 'mvtec_capsule'}"
                                     " (a member would be written outside its folder)")
    assert not (cache.parent / "escaped.txt").exists() and not list(cache.glob(".mvtec_capsule-*"))
    assert download.unpacked(MVTEC_CAPSULE) is None


def test_a_file_the_server_does_not_have_is_its_http_status(server, monkeypatch, cache):
    monkeypatch.setenv(LECTURE.env, server.url("/nothing-here.zip"))
    with pytest.raises(DownloadError) as err:
        download.fetch("lecture")
    assert err.value.reason == "HTTP 404 from the server" and "\n" not in str(err.value)
    assert server.hits == ["/nothing-here.zip"] and not list(cache.iterdir())


@pytest.mark.parametrize("how", ["pooch", "gdown"])
def test_ctrl_c_during_a_download_stops_and_leaves_no_file(server, monkeypatch, cache, how):
    """KeyboardInterrupt in the middle of the body stops the cell (it is no DownloadError), and the
    temporary file that held what had come, under a name of its own, is deleted."""
    path = serve_lecture(server, monkeypatch, b"x" * 3_000_000)
    if how == "gdown":
        through_gdown(monkeypatch, server.url(path))
    real, seen = requests.models.Response.iter_content, []

    def interrupted(self, *args, **kwargs):
        for i, chunk in enumerate(real(self, *args, **kwargs)):
            if i == 1:
                seen.extend(p.name for p in cache.iterdir())
                raise KeyboardInterrupt
            yield chunk
    monkeypatch.setattr(requests.models.Response, "iter_content", interrupted)
    with pytest.raises(KeyboardInterrupt):
        download.fetch("lecture")
    assert len(seen) == 1 and seen[0] != LECTURE.filename                 # the temporary file, then
    assert not list(cache.iterdir())


def chained(error, *causes):
    """``error`` raised while ``causes[0]`` was handled, itself raised while ``causes[1]`` was, ..."""
    error.__context__ = chained(*causes) if causes else None
    return error


def http_error(status):
    response = requests.models.Response()
    response.status_code = status
    return requests.exceptions.HTTPError(f"{status} Client Error", response=response)


class FileURLRetrievalError(Exception):
    """Not gdown's, only named like it: no reason may be read from a type's name."""


WHY = [   # (what failed, as the libraries raise it; the reason said)
    (lambda: ConnectionRefusedError(), "no network"),
    (lambda: chained(requests.exceptions.ConnectionError(), urllib3.exceptions.MaxRetryError(
        None, "/", reason=chained(urllib3.exceptions.NewConnectionError(None, "x"), socket.gaierror(-2, "x")))),
     "no network"),
    (lambda: OSError(errno.ENETUNREACH, "Network is unreachable"), "no network"),
    (lambda: TimeoutError(), "no answer within 60 s"),
    (lambda: requests.exceptions.ConnectTimeout(), "no answer within 60 s"),
    (lambda: chained(requests.exceptions.ConnectionError(), urllib3.exceptions.ReadTimeoutError(None, "/", "x")),
     "no answer within 60 s"),
    (lambda: __import__("gdown.exceptions").exceptions.FileURLRetrievalError("x"), "Google Drive refused the file"),
    (lambda: requests.exceptions.SSLError(), "no secure (TLS) connection"),
    (lambda: http_error(403), "HTTP 403 from the server"),
    (lambda: requests.exceptions.ChunkedEncodingError(), "the connection broke off"),
    (lambda: ConnectionResetError(), "the connection broke off"),
    (lambda: http.client.IncompleteRead(b""), "the connection broke off"),
    (lambda: tarfile.ReadError("x"), "a damaged or cut-off file"),
    (lambda: lzma.LZMAError("x"), "a damaged or cut-off file"),
    (lambda: OSError(errno.ENOSPC, "No space left on device"), "No space left on device"),
    # the words of a message or a type's name say nothing: the last line of the text is shown as it is
    (lambda: RuntimeError("Connection refused; Failed to resolve\nread timed out"), "read timed out"),
    (lambda: FileURLRetrievalError("Too many users have viewed or downloaded this file"),
     "Too many users have viewed or downloaded this file"),
]


@pytest.mark.parametrize("error, reason", WHY)
def test_a_failure_is_said_by_its_type(error, reason):
    assert download.why(error()) == reason



# --- MNIST -------------------------------------------------------------------------------------
def idx_images(images):
    n, h, w = images.shape
    return struct.pack(">IIII", 0x803, n, h, w) + images.astype(np.uint8).tobytes()


def idx_labels(labels):
    return struct.pack(">II", 0x801, len(labels)) + np.asarray(labels, np.uint8).tobytes()


def write_mnist_gz(raw: Path, n=20):
    """A tiny MNIST in torchvision's layout: the four idx files, gzip-compressed."""
    raw.mkdir(parents=True, exist_ok=True)
    labels = np.arange(n) % 10
    images = np.zeros((n, 28, 28), np.uint8)
    images[:, 4:24, 12:16] = (labels[:, None, None] + 1) * 20
    for prefix in ("train", "t10k"):
        for name, data in ((f"{prefix}-images-idx3-ubyte", idx_images(images)),
                           (f"{prefix}-labels-idx1-ubyte", idx_labels(labels))):
            (raw / f"{name}.gz").write_bytes(gzip.compress(data))
    return labels


def test_mnist_from_a_read_only_folder_of_gz_files(tmp_path, cache):
    root = tmp_path / "shared"
    labels = write_mnist_gz(root / "MNIST" / "raw")
    for p in [*(root / "MNIST" / "raw").iterdir(), root / "MNIST" / "raw"]:
        p.chmod(0o555 if p.is_dir() else 0o444)
    try:
        found = download.find_mnist(root)
        images, targets = download.load_mnist(found, train=False)
    finally:
        (root / "MNIST" / "raw").chmod(0o755)
    assert found.parent == cache / "mnist" and images.shape == (20, 28, 28)
    assert targets.tolist() == labels.tolist()
    assert sorted(p.name for p in (root / "MNIST" / "raw").iterdir()) == sorted(
        f"{n}.gz" for n in download.MNIST_FILES)                          # nothing written there


def test_mnist_missing_gives_a_clear_error(tmp_path):
    assert download.find_mnist() is None
    with pytest.raises(DatasetError, match="--download"):
        download.mnist_root()
    with pytest.raises(DatasetError, match=str(tmp_path)):
        download.mnist_root(tmp_path)


def serve_mnist(server, monkeypatch, mirror="/mnist/"):
    """torchvision's MNIST mirrors set to the local server, which serves a tiny MNIST (MD5s to match)."""
    import torchvision
    raw = Path(tempfile.mkdtemp())
    write_mnist_gz(raw)
    resources = []
    for name in download.MNIST_FILES:
        data = (raw / f"{name}.gz").read_bytes()
        server.files[f"/mnist/{name}.gz"] = data
        resources.append((f"{name}.gz", hashlib.md5(data).hexdigest()))
    monkeypatch.setattr(torchvision.datasets.MNIST, "mirrors", [server.url(mirror)])
    monkeypatch.setattr(torchvision.datasets.MNIST, "resources", resources)


def test_mnist_download_from_torchvisions_mirrors_read_by_torchvision(server, monkeypatch, cache):
    serve_mnist(server, monkeypatch)
    root = download.mnist_root(download=True)
    assert download.load_mnist(root, train=True)[0].shape == (20, 28, 28)     # torchvision.datasets.MNIST
    assert set(server.hits) == {f"/mnist/{n}.gz" for n in download.MNIST_FILES}
    n = len(server.hits)
    assert download.mnist_root(download=True) == root and len(server.hits) == n   # cached


def test_mnist_comes_from_the_first_mirror_that_serves_it(server, monkeypatch, cache):
    import torchvision
    serve_mnist(server, monkeypatch)
    monkeypatch.setattr(torchvision.datasets.MNIST, "mirrors", [closed_port_url("/down/"), server.url("/mnist/")])
    assert download.load_mnist(download.mnist_root(download=True), train=False)[1].tolist() == list(range(10)) * 2
    assert sorted(server.hits) == sorted(f"/mnist/{n}.gz" for n in download.MNIST_FILES)


def test_when_no_mirror_serves_mnist_the_first_ones_reason_is_said(server, monkeypatch, cache):
    import torchvision
    serve_mnist(server, monkeypatch)
    monkeypatch.setattr(torchvision.datasets.MNIST, "mirrors", [closed_port_url("/down/"), server.url("/gone/")])
    with pytest.raises(DownloadError) as err:
        download.mnist_root(download=True)
    assert err.value.reason == "no network" and server.hits == [f"/gone/{download.MNIST_FILES[0]}.gz"]
    assert not [p for p in cache.rglob("*") if p.is_file()]


def test_an_mnist_file_that_is_not_torchvisions_is_refused_by_its_md5(server, monkeypatch, cache):
    import torchvision
    serve_mnist(server, monkeypatch)
    resources = [(name, "0" * 32 if i == 1 else md5) for i, (name, md5) in
                 enumerate(torchvision.datasets.MNIST.resources)]
    monkeypatch.setattr(torchvision.datasets.MNIST, "resources", resources)
    with pytest.raises(DownloadError) as err:
        download.mnist_root(download=True)
    assert err.value.reason == f"its MD5 is not the published {'0' * 32}"
    raw = cache / "mnist" / "MNIST" / "raw"
    assert sorted(p.name for p in raw.iterdir()) == [f"{download.MNIST_FILES[0]}.gz"]   # the good one, kept


def test_a_partial_gz_an_older_version_left_in_the_cache_is_replaced(server, monkeypatch, cache, capsys):
    """torchvision wrote its downloads under their final names: a stalled one stayed there, cut off."""
    serve_mnist(server, monkeypatch)
    raw = cache / "mnist" / "MNIST" / "raw"
    raw.mkdir(parents=True)
    name = f"{download.MNIST_FILES[0]}.gz"
    (raw / name).write_bytes(server.files[f"/mnist/{name}"][:100])
    assert download.load_mnist(download.mnist_root(download=True), train=True)[0].shape == (20, 28, 28)
    assert "removed a corrupt MNIST cache entry" in capsys.readouterr().err and f"/mnist/{name}" in server.hits


def test_mnist_download_without_network(monkeypatch, cache):
    import torchvision
    monkeypatch.setattr(torchvision.datasets.MNIST, "mirrors", [closed_port_url("/mnist/")])
    with pytest.raises(DownloadError) as err:
        download.mnist_root(download=True)
    assert err.value.reason == "no network" and "could not download MNIST: no network." in str(err.value)
    assert str(cache / "mnist" / "MNIST" / "raw") in str(err.value) and "bundled" in str(err.value)


def test_garbage_mnist_never_enters_the_cache_and_a_good_root_wins(tmp_path, cache):
    bad, good = tmp_path / "bad", tmp_path / "good"
    write_mnist_gz(bad / "MNIST" / "raw")
    (bad / "MNIST" / "raw" / "train-images-idx3-ubyte.gz").write_bytes(gzip.compress(b"garbage" * 100))
    labels = write_mnist_gz(good / "MNIST" / "raw")
    with pytest.raises(DatasetError, match="train-images-idx3-ubyte.gz is not an MNIST idx image file"):
        download.find_mnist(bad)
    assert (bad / "MNIST" / "raw" / "train-images-idx3-ubyte.gz").is_file()      # yours: never deleted
    assert not list(cache.rglob("train-images-idx3-ubyte")), "nothing unchecked is cached"
    images, targets = download.load_mnist(download.find_mnist(good), train=True)
    assert targets.tolist() == labels.tolist()


def test_a_corrupt_cache_entry_is_removed_with_one_line(tmp_path, cache, capsys):
    write_mnist_gz(tmp_path / "src")
    raw = cache / "mnist" / "MNIST" / "raw"
    raw.mkdir(parents=True)
    for name in download.MNIST_FILES:
        (raw / name).write_bytes(gzip.decompress((tmp_path / "src" / f"{name}.gz").read_bytes()))
    assert download.find_mnist() == cache / "mnist"
    (raw / "t10k-labels-idx1-ubyte").write_bytes(b"\x00\x00\x08\x01" + b"\x00" * 3)   # truncated
    assert download.find_mnist() is None
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "removed a corrupt MNIST cache entry" in err
    assert not (raw / "t10k-labels-idx1-ubyte").exists() and (raw / "t10k-images-idx3-ubyte").exists()


@pytest.mark.parametrize("size, header, match", [
    (16 + 2 * 784, (0x803, 2, 28, 28), None), (16 + 784, (0x803, 2, 28, 28), "truncated"),
    (16 + 2 * 100, (0x803, 2, 10, 10), "10x10"), (16, (0x999, 0, 28, 28), "bad header")])
def test_idx_check(tmp_path, size, header, match):
    path = tmp_path / "train-images-idx3-ubyte"
    path.write_bytes(struct.pack(">IIII", *header).ljust(size, b"\x00"))
    if match is None:
        download.check_idx(path)
    else:
        with pytest.raises(DatasetError, match=match):
            download.check_idx(path)


STALLS = ["/silent/", "/stall/"]   # accepts and never answers; sends headers and half the body, then nothing


@pytest.mark.parametrize("stall", STALLS)
@pytest.mark.parametrize("how", ["pooch", "gdown-timeout", "requests-default"])
def test_a_stalled_download_gives_up_after_the_timeout(server, monkeypatch, cache, stall, how):
    """pooch's HTTP downloader (a URL), and the real gdown (a Drive id): its own ``timeout`` where it
    has one, else requests' default; both gdown paths are taken with any gdown (the second by
    pretending it has no ``timeout``)."""
    import gdown
    if how == "requests-default":
        monkeypatch.setattr(download, "takes_timeout", lambda function: False)
    elif how == "gdown-timeout" and not download.takes_timeout(gdown.download):
        pytest.skip(f"gdown {gdown.__version__} has no timeout argument")
    server.files["/big.bin"] = b"x" * 200_000
    monkeypatch.setattr(download, "TIMEOUT", 0.5)
    monkeypatch.setenv(LECTURE.env, server.url(stall + LECTURE.filename))
    if how != "pooch":
        through_gdown(monkeypatch, server.url(stall + LECTURE.filename))
    t0 = time.perf_counter()
    with pytest.raises(DownloadError) as err:
        download.fetch("lecture")
    assert time.perf_counter() - t0 < 5, "it must give up after about the timeout"
    assert err.value.reason == "no answer within 0.5 s"
    assert not list(cache.iterdir()), "no partial file is left, under no name"


@pytest.mark.parametrize("stall", STALLS)
def test_requests_timeout_reaches_requests(server, monkeypatch, stall):
    """What `requests_timeout` is for: requests sent with timeout=None (gdown < 6.3) give up too."""
    import requests
    server.files["/big.bin"] = b"x" * 200_000
    monkeypatch.setattr(download, "TIMEOUT", 0.5)
    t0 = time.perf_counter()
    with download.requests_timeout(0.5), pytest.raises(requests.exceptions.RequestException) as err:
        requests.get(server.url(stall + "f"), timeout=None).content
    assert time.perf_counter() - t0 < 5 and download.why(err.value) == "no answer within 0.5 s"
    from requests.adapters import HTTPAdapter
    assert HTTPAdapter.send.__name__ == "send", "the default is put back"


@pytest.mark.parametrize("stall", STALLS)
def test_a_stalled_mnist_download_times_out(server, monkeypatch, cache, stall):
    serve_mnist(server, monkeypatch, mirror=stall)
    server.files["/big.bin"] = server.files[f"/mnist/{download.MNIST_FILES[0]}.gz"] * 50
    monkeypatch.setattr(download, "TIMEOUT", 0.5)
    t0 = time.perf_counter()
    with pytest.raises(DownloadError) as err:
        download.mnist_root(download=True)
    assert time.perf_counter() - t0 < 5 and err.value.reason == "no answer within 0.5 s"
    assert not [p for p in cache.rglob("*") if p.is_file()], "no partial file is left, under no name"



# --- what a notebook shows: the wait announced, one line per failure, one line per bar ------------
ANSI = re.compile(r"\x1b\[[0-9;]*m")


@pytest.mark.parametrize("stall", STALLS)
def test_the_wait_is_announced_before_it_with_the_host_and_the_timeout(server, monkeypatch, cache, stall):
    """The line is on stderr before the server is asked, so a silent server leaves no silent cell."""
    server.files["/big.bin"] = b"x" * 200_000
    monkeypatch.setattr(download, "TIMEOUT", 0.5)
    monkeypatch.setenv(LECTURE.env, server.url(stall + LECTURE.filename))
    seen = []        # (line, the server's requests so far)

    class Stderr(io.StringIO):
        def write(self, text):
            seen.append((text, list(server.hits)))
            return len(text)
    monkeypatch.setattr(sys, "stderr", Stderr())
    with pytest.raises(DownloadError):
        download.fetch("lecture")
    line, hits = seen[0]
    host = server.url("/").split("/")[2]
    assert hits == [] and line.startswith(f"Downloading {LECTURE.filename} from {host} ") and "0.5 s" in line


def test_the_mnist_wait_names_the_mirrors(server, monkeypatch, cache, capsys):
    serve_mnist(server, monkeypatch)
    download.mnist_root(download=True)
    first = capsys.readouterr().err.splitlines()[0]
    assert first.startswith(f"Downloading MNIST from {server.url('/').split('/')[2]} ") and "60 s" in first


def kernel_cells(*cells):
    """``cells`` run in a real kernel (lecture_utils as installed); per cell, its error line(s) without
    colours, the stream lines, and the bars saved."""
    from conftest import run_in_kernel
    shown = []
    for outputs in run_in_kernel(*cells):
        errors = [ANSI.sub("", line) for o in outputs if o["output_type"] == "error" for line in o["traceback"]]
        streams = "".join(o["text"] for o in outputs if o["output_type"] == "stream").splitlines()
        bars = [o["data"]["text/plain"] for o in outputs if o["output_type"] == "display_data"]
        shown.append((errors, streams, bars))
    return shown


@pytest.mark.parametrize("choice, reason", [
    ("lecture", "no network"), ("mvtec", "no network"), ("lecture", "no answer within 0.5 s")])
def test_a_named_choice_that_cannot_be_downloaded_is_one_line_in_a_notebook(server, monkeypatch, choice, reason):
    """DATA = "lecture" / "mvtec" (and "mnist") in a real kernel: the wait line, then one error line
    (IPython shows `_render_traceback_`): no traceback, no chained causes."""
    pytest.importorskip("nbclient")
    url = server.url("/silent/x.zip") if "answer" in reason else closed_port_url()
    monkeypatch.setenv(LECTURE.env, url)
    monkeypatch.setenv(MVTEC_CAPSULE.env, url)
    [(errors, streams, bars)] = kernel_cells(
        "from lecture_utils.data import download, sources\ndownload.TIMEOUT = 0.5\n"
        f"root, source = sources.capsule({choice!r})")
    assert len(errors) == 1 and "\n" not in errors[0], errors
    assert errors[0].startswith("DownloadError: could not download ") and f": {reason}. By hand: " in errors[0]
    assert len(streams) == 1 and streams[0].startswith("Downloading ") and "0.5 s" in streams[0], streams
    assert bars == []


def test_a_forced_mnist_that_cannot_be_downloaded_is_one_line_in_a_notebook(monkeypatch):
    pytest.importorskip("nbclient")
    [(errors, _, _)] = kernel_cells(
        "import torchvision\nfrom lecture_utils.data import sources\n"
        f"torchvision.datasets.MNIST.mirrors = [{closed_port_url('/mnist/')!r}]\nsources.digits('mnist')")
    assert len(errors) == 1 and errors[0].startswith("DownloadError: could not download MNIST: no network."), errors


def test_a_dataset_error_is_one_line_in_ipython_in_the_language_shown_in(monkeypatch):
    error = DatasetError("no_train_good", folder="/x")            # raised in English, shown in each language
    [line] = error._render_traceback_()
    assert ANSI.sub("", line) == "DatasetError: /x holds no train/good folder; delete it and download again"
    monkeypatch.setenv(messages.LANG_ENV, "ja")
    [line] = error._render_traceback_()
    assert ANSI.sub("", line) == "DatasetError: /x に train/good フォルダがありません。削除してダウンロードし直してください"


def test_download_bars_in_a_notebook_are_one_line_each(server, monkeypatch, tmp_path):
    """The bars of pooch's downloads (the archive, each MNIST file) and gdown's (drawn by it on
    stderr) are kept as one finished line each; their messages stay."""
    pytest.importorskip("nbclient")
    path = serve_lecture(server, monkeypatch, zip_bytes(LECTURE_FILES))
    serve_mnist(server, monkeypatch)
    mirrors, resources = [server.url("/mnist/")], [tuple(r) for r in __import__("torchvision").datasets.MNIST.resources]
    [(errors, streams, bars), (errors2, _, mnist_bars), (errors3, streams3, gdown_bars)] = kernel_cells(
        "from lecture_utils.data import download\nfolder = download.fetch('lecture')",
        f"import torchvision\ntorchvision.datasets.MNIST.mirrors = {mirrors!r}\n"
        f"torchvision.datasets.MNIST.resources = {resources!r}\ndownload.mnist_root(download=True)",
        "download.http_download = lambda what, final: download.gdown_download(what, final, "
        f"url={server.url(path)!r})\nfolder = download.fetch('lecture', {str(tmp_path / 'other')!r})")
    assert errors == errors2 == errors3 == []
    assert len(bars) == len(gdown_bars) == 1, (bars, gdown_bars)
    assert all("100%|" in b and "\r" not in b for b in bars + gdown_bars), (bars, gdown_bars)
    for lines in (streams, streams3):
        assert not any("%|" in line for line in lines) and any(line.startswith("Downloading ") for line in lines)
    assert len(mnist_bars) == len(download.MNIST_FILES) and all("100%|" in b for b in mnist_bars), mnist_bars



def test_a_download_of_unknown_size_keeps_its_byte_count(tmp_path, capsys):
    """pooch ends its bar with reset() and update(total): with no Content-Length that would say 0 B."""
    progress = download.Progress("x.zip", tmp_path / "x.zip")
    assert progress.bar is None                                           # nothing before the server answers
    progress.total = 0                                                    # it answered, size unknown
    progress.update(4096)
    progress.reset()
    progress.update(0)
    progress.close()
    assert progress.bar.n == 4096 and f"To: {tmp_path / 'x.zip'}\n" in capsys.readouterr().err
