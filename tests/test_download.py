"""Downloads: only the network is faked; checking, unpacking, caching and loading run for real."""
import gzip
import hashlib
import io
import struct
import tarfile
import urllib.error
import urllib.request
import zipfile
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from conftest import deliver

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


def write_tar(path, files):
    with tarfile.open(path, "w:xz") as t:
        for name, data in files.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            t.addfile(info, io.BytesIO(data))


LECTURE_FILES = {**capsule_files("anomaly_detection_data/capsule/"),
                 "anomaly_detection_data/trained_model.pt": b"weights"}


class FakeGdown:
    """Stands in for gdown.download: writes what Drive would send, and counts calls."""

    def __init__(self, payload):
        self.payload, self.calls = payload, 0

    def __call__(self, id=None, output=None, quiet=False, **kw):
        self.calls += 1
        return deliver(self.payload, output)


def fake_gdown(monkeypatch, payload):
    import gdown
    fake = FakeGdown(payload)
    monkeypatch.setattr(gdown, "download", fake)
    return fake


def test_lecture_archive_is_downloaded_checked_unpacked_and_reused(monkeypatch, cache):
    fake = fake_gdown(monkeypatch, lambda out: write_zip(out, LECTURE_FILES))
    folder = download.fetch("lecture")
    assert folder == cache / "lecture" and (folder / download.COMPLETE).is_file()
    assert (cache / "anomaly_detection_data.zip.json").is_file()
    assert download.fetch("lecture") == folder and fake.calls == 1       # cached: no second download
    root, name = sources.capsule_root()
    assert name == "lecture" and root.name == "capsule"
    assert len(load_split(root, "test", image_size=8)) == 2
    assert sources.lecture_weights().read_bytes() == b"weights"
    assert not list(cache.glob(".lecture-*")) and not list(cache.glob("*.part"))


def test_archive_already_in_the_cache_is_not_downloaded(monkeypatch, cache):
    cache.mkdir(parents=True)
    write_zip(cache / LECTURE.filename, LECTURE_FILES)
    fake = fake_gdown(monkeypatch, OSError("must not be called"))
    assert (download.fetch(LECTURE) / "anomaly_detection_data" / "trained_model.pt").is_file()
    assert fake.calls == 0


@pytest.mark.parametrize("payload, words", [
    (b"<!DOCTYPE html><html><title>Google Drive - Virus scan warning</title>quota</html>", "web page"),
    ("corrupt", "not a usable"),
    ("wrong members", "lacks the expected members"),
    (ConnectionError("Name or service not known"), "could not download"),
])
def test_failed_lecture_download_says_how_to_go_on(monkeypatch, cache, payload, words):
    if payload == "corrupt":
        def payload(out):
            write_zip(out, LECTURE_FILES)
            out.write_bytes(out.read_bytes()[:200])                      # cut off mid-way
    elif payload == "wrong members":
        def payload(out):
            write_zip(out, {"readme.txt": b"hello"})
    fake_gdown(monkeypatch, payload)
    with pytest.raises(DownloadError) as err:
        download.fetch("lecture")
    message = str(err.value)
    assert words in message
    assert LECTURE.url in message and str(cache / LECTURE.filename) in message
    assert "synthetic" in message                                         # the offline way on
    assert not (cache / LECTURE.filename).exists() and not list(cache.glob("*.part"))
    assert isinstance(err.value, OSError)                                 # the CLI prints it in one line


class FakeResponse(io.BytesIO):
    headers = {"content-length": None}

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


def test_mvtec_capsule_checked_by_md5(monkeypatch, cache, tmp_path):
    tar = tmp_path / "capsule.tar.xz"
    write_tar(tar, capsule_files("capsule/"))
    data = tar.read_bytes()
    calls = []
    monkeypatch.setattr(urllib.request, "urlopen", lambda url, timeout=None: calls.append(url) or FakeResponse(data))
    archive = replace(MVTEC_CAPSULE, md5=hashlib.md5(data).hexdigest())
    folder = download.fetch(archive)
    assert (folder / "capsule" / "ground_truth" / "crack" / "000_mask.png").is_file()
    assert download.find_mvtec_root(folder) == folder / "capsule"
    assert download.fetch(archive) == folder and calls == [MVTEC_CAPSULE.url]
    root, name = sources.capsule_root()
    assert name == "mvtec" and root == folder / "capsule"


def test_mvtec_capsule_with_wrong_md5_is_deleted(monkeypatch, cache, tmp_path):
    tar = tmp_path / "capsule.tar.xz"
    write_tar(tar, capsule_files("capsule/"))
    monkeypatch.setattr(urllib.request, "urlopen", lambda url, timeout=None: FakeResponse(tar.read_bytes()))
    with pytest.raises(DownloadError, match="MD5"):
        download.fetch("mvtec-capsule")
    assert not (cache / "capsule.tar.xz").exists()


def test_no_network_for_mvtec(monkeypatch, cache):
    def offline(url, timeout=None):
        raise urllib.error.URLError("[Errno -3] Temporary failure in name resolution")
    monkeypatch.setattr(urllib.request, "urlopen", offline)
    with pytest.raises(DownloadError, match="could not download capsule.tar.xz") as err:
        download.fetch("mvtec-capsule")
    assert MVTEC_CAPSULE.url in str(err.value) and str(cache) in str(err.value)


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


def test_mnist_download_through_torchvision(monkeypatch, cache):
    import torchvision.datasets.mnist as tv
    calls = []

    def fake(url, download_root, filename, md5=None, **kw):                # writes what the mirror sends
        calls.append(url)
        write_mnist_gz(Path(download_root))
        with gzip.open(Path(download_root) / filename) as src:
            (Path(download_root) / filename[:-3]).write_bytes(src.read())
    monkeypatch.setattr(tv, "download_and_extract_archive", fake)
    root = download.mnist_root(download=True)
    assert download.load_mnist(root, train=True)[0].shape == (20, 28, 28)
    n = len(calls)
    assert download.mnist_root(download=True) == root and len(calls) == n  # cached


def test_mnist_download_without_network(monkeypatch, cache):
    import torchvision.datasets.mnist as tv

    def offline(url, *a, **kw):
        raise urllib.error.URLError("[Errno -3] Temporary failure in name resolution")
    monkeypatch.setattr(tv, "download_and_extract_archive", offline)
    with pytest.raises(DownloadError) as err:
        download.mnist_root(download=True)
    assert "could not download MNIST" in str(err.value)
    assert str(cache / "mnist" / "MNIST" / "raw") in str(err.value) and "bundled digits" in str(err.value)


def test_capsule_env_wins_and_synthetic_is_the_fallback(monkeypatch, tmp_path):
    made = []
    monkeypatch.setattr(sources, "ensure_synthetic_capsule", lambda seed=0: made.append(seed) or tmp_path / "syn")
    assert sources.capsule_root() == (tmp_path / "syn", "synthetic") and made == [sources.LECTURE_SEED]
    (tmp_path / "mine" / "train" / "good").mkdir(parents=True)
    monkeypatch.setenv("LECTURE_UTILS_CAPSULE", str(tmp_path / "mine"))
    assert sources.capsule_root() == (tmp_path / "mine", "env")
    assert sources.lecture_weights() is None


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


@pytest.fixture
def stalled_server():
    """A local server that accepts connections and never answers."""
    import socket
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(8)
    yield f"http://127.0.0.1:{server.getsockname()[1]}/"
    server.close()


def test_a_stalled_download_times_out(monkeypatch, stalled_server, cache):
    import time
    monkeypatch.setattr(download, "TIMEOUT", 0.5)
    monkeypatch.setattr(download, "MVTEC_CAPSULE", replace(MVTEC_CAPSULE, url=stalled_server + "capsule.tar.xz"))
    monkeypatch.setitem(download.ARCHIVES, "mvtec-capsule", download.MVTEC_CAPSULE)
    t0 = time.perf_counter()
    with pytest.raises(DownloadError, match="could not download capsule.tar.xz .*no answer within 0.5 s"):
        download.fetch("mvtec-capsule")
    assert time.perf_counter() - t0 < 30, "it must not hang"
    assert not list(cache.glob("capsule.tar.xz*")), "no partial file is left"


def test_a_stalled_mnist_download_times_out(monkeypatch, stalled_server, cache):
    import torchvision
    monkeypatch.setattr(download, "TIMEOUT", 0.5)
    monkeypatch.setattr(torchvision.datasets.MNIST, "mirrors", [stalled_server])
    with pytest.raises(DownloadError, match="could not download MNIST .*no answer within 0.5 s"):
        download.mnist_root(download=True)


def test_gdown_gets_the_timeout(monkeypatch, cache):
    seen = {}

    def fake(**kw):
        seen.update(kw)
        raise TimeoutError("read timed out")
    import gdown
    monkeypatch.setattr(gdown, "download", fake)
    monkeypatch.setattr(download, "TIMEOUT", 0.5)
    with pytest.raises(DownloadError, match="no answer within 0.5 s"):
        download.fetch("lecture")
    assert seen["timeout"] == 0.5
