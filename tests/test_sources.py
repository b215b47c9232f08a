"""The notebooks' ``DATA = "auto"`` choice: Colab is simulated and only the network is faked
(gdown, urllib and torchvision's downloader write local files or fail); checking, unpacking and
caching run for real."""
import gzip
import hashlib
import io
import struct
import sys
import tarfile
import types
import urllib.error
import urllib.request
import zipfile
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from conftest import deliver

from lecture_utils import config
from lecture_utils.data import download, sources
from lecture_utils.data.download import MVTEC_CAPSULE, DownloadError
from lecture_utils.data.mvtec import load_split


def png(value=128, mode="RGB"):
    buf = io.BytesIO()
    Image.new(mode, (8, 8), value if mode == "L" else (value,) * 3).save(buf, format="PNG")
    return buf.getvalue()


def capsule_files(prefix):
    return {f"{prefix}train/good/000.png": png(), f"{prefix}test/good/000.png": png(),
            f"{prefix}test/crack/000.png": png(200), f"{prefix}ground_truth/crack/000_mask.png": png(255, "L")}


LECTURE_FILES = {**capsule_files("anomaly_detection_data/capsule/"),
                 "anomaly_detection_data/trained_model.pt": b"weights"}
QUOTA_PAGE = b"<!DOCTYPE html><html><title>Google Drive - Quota exceeded</title></html>"


def write_zip(path, files):
    with zipfile.ZipFile(path, "w") as z:
        for name, data in files.items():
            z.writestr(name, data)


def corrupt_zip(path):
    write_zip(path, LECTURE_FILES)
    path.write_bytes(path.read_bytes()[:200])


def capsule_tar():
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w:xz") as t:
        for name, data in capsule_files("capsule/").items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            t.addfile(info, io.BytesIO(data))
    return buf.getvalue()


def write_mnist_gz(raw: Path, n=20):
    raw.mkdir(parents=True, exist_ok=True)
    labels = np.arange(n, dtype=np.uint8) % 10
    images = np.zeros((n, 28, 28), np.uint8)
    for prefix in ("train", "t10k"):
        (raw / f"{prefix}-images-idx3-ubyte.gz").write_bytes(
            gzip.compress(struct.pack(">IIII", 0x803, n, 28, 28) + images.tobytes()))
        (raw / f"{prefix}-labels-idx1-ubyte.gz").write_bytes(
            gzip.compress(struct.pack(">II", 0x801, n) + labels.tobytes()))


class Network:
    """Every way the package can reach the network, faked; ``calls`` lists what was attempted."""

    def __init__(self, monkeypatch):
        import gdown
        import torchvision.datasets.mnist as tv
        self.calls, self.gdown, self.url, self.mnist = [], OSError("offline"), None, None
        monkeypatch.setattr(gdown, "download", self._gdown)
        monkeypatch.setattr(urllib.request, "urlopen", self._urlopen)
        monkeypatch.setattr(tv, "download_and_extract_archive", self._torchvision)

    def _gdown(self, id=None, output=None, quiet=False, **kw):
        self.calls.append("gdown")
        return deliver(self.gdown, output)

    def _urlopen(self, url, timeout=None, **kw):
        self.calls.append("urlopen")
        if self.url is None:
            raise urllib.error.URLError("[Errno -3] Temporary failure in name resolution")
        return _Response(self.url)

    def _torchvision(self, url, download_root, filename, md5=None, **kw):
        self.calls.append("torchvision")
        if self.mnist is None:
            raise urllib.error.URLError("[Errno -3] Temporary failure in name resolution")
        write_mnist_gz(Path(download_root))
        with gzip.open(Path(download_root) / filename) as src:
            (Path(download_root) / filename[:-3]).write_bytes(src.read())


class _Response(io.BytesIO):
    def __init__(self, data):
        super().__init__(data)
        self.headers = {"content-length": str(len(data))}

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


@pytest.fixture(autouse=True)
def cache(tmp_path, monkeypatch):
    monkeypatch.setenv(config.DATA_ENV, str(tmp_path / "cache"))
    monkeypatch.delenv(sources.DOWNLOAD_ENV, raising=False)
    monkeypatch.delitem(sys.modules, "google.colab", raising=False)
    return tmp_path / "cache"


@pytest.fixture
def net(monkeypatch):
    return Network(monkeypatch)


@pytest.fixture
def synthetic(monkeypatch, tmp_path):
    """The synthetic capsule takes ~20 s to draw; a stand-in folder records that it was chosen."""
    made = []
    monkeypatch.setattr(sources, "ensure_synthetic_capsule", lambda seed=0: made.append(seed) or tmp_path / "syn")
    return made


@pytest.fixture
def colab(monkeypatch):
    module = types.ModuleType("google.colab")
    monkeypatch.setitem(sys.modules, "google.colab", module)
    return module


def one_line(capsys) -> str:
    out = capsys.readouterr().out.strip()
    assert out and "\n" not in out, f"expected one printed line, got {out!r}"
    return out


def test_offline_outside_colab_nothing_touches_the_network(net, synthetic, capsys, monkeypatch):
    def forbidden(*a, **kw):
        pytest.fail("auto tried to download outside Colab without LECTURE_UTILS_DOWNLOAD")
    monkeypatch.setattr(download, "fetch", forbidden)
    monkeypatch.setattr(download, "download_mnist", forbidden)
    assert not sources.may_download()
    assert sources.capsule("auto")[1] == "synthetic" and synthetic == [sources.LECTURE_SEED]
    line = one_line(capsys)
    assert "downloads are off outside Colab" in line and "data download lecture" in line
    assert sources.digits("auto") == "bundled"
    line = one_line(capsys)
    assert "downloads are off outside Colab" in line and "data download mnist" in line
    assert net.calls == []


def test_cached_real_data_is_used_without_network(net, cache, capsys, colab):
    cache.mkdir(parents=True)
    write_zip(cache / download.LECTURE.filename, LECTURE_FILES)
    download.fetch("lecture")                                   # from the file in the cache
    write_mnist_gz(cache / "mnist" / "MNIST" / "raw")
    root, name = sources.capsule("auto")
    assert name == "lecture" and root.name == "capsule"
    assert sources.capsule("lecture") == (root, "lecture")       # forced, already here
    assert sources.digits("auto") == "mnist" and sources.digits("mnist") == "mnist"
    assert net.calls == [] and capsys.readouterr().out == ""


def test_capsule_env_wins_in_auto(monkeypatch, tmp_path, net, colab):
    (tmp_path / "mine" / "train" / "good").mkdir(parents=True)
    monkeypatch.setenv(sources.CAPSULE_ENV, str(tmp_path / "mine"))
    assert sources.capsule("auto") == (tmp_path / "mine", "env") and net.calls == []


def test_colab_downloads_the_lecture_archive_first(net, cache, colab, synthetic, capsys):
    net.gdown = lambda out: write_zip(out, LECTURE_FILES)
    root, name = sources.capsule("auto")
    assert name == "lecture" and net.calls == ["gdown"] and synthetic == []
    assert len(load_split(root, "test", image_size=8)) == 2
    assert sources.lecture_weights().read_bytes() == b"weights"
    assert capsys.readouterr().out == ""
    assert sources.capsule("auto") == (root, "lecture") and net.calls == ["gdown"]   # cached


def test_opt_in_downloads_outside_colab(net, monkeypatch, synthetic):
    monkeypatch.setenv(sources.DOWNLOAD_ENV, "1")
    net.gdown = lambda out: write_zip(out, LECTURE_FILES)
    assert sources.may_download() and sources.capsule("auto")[1] == "lecture"


def test_colab_falls_back_to_the_official_capsule(net, colab, monkeypatch, synthetic):
    net.gdown, net.url = QUOTA_PAGE, capsule_tar()
    monkeypatch.setitem(sources._ARCHIVES, "mvtec", replace(MVTEC_CAPSULE, md5=hashlib.md5(net.url).hexdigest()))
    root, name = sources.capsule("auto")
    assert name == "mvtec" and root.name == "capsule" and net.calls == ["gdown", "urlopen"]
    assert synthetic == []


@pytest.mark.parametrize("payload, words", [
    (QUOTA_PAGE, "web page"),
    (corrupt_zip, "not a usable"),
    (ConnectionError("Name or service not known"), "could not download"),
])
def test_colab_failed_downloads_fall_back_with_one_line(net, cache, colab, synthetic, capsys, payload, words):
    net.gdown = payload                                          # and the MVTec server is unreachable
    assert sources.capsule("auto") == (cache.parent / "syn", "synthetic") and synthetic == [sources.LECTURE_SEED]
    line = one_line(capsys)
    assert line.startswith("Using the synthetic capsule")
    assert words in line and "lecture:" in line and "mvtec:" in line      # why, for each source
    assert download.LECTURE.url in line and str(cache / download.LECTURE.filename) in line  # how
    assert net.calls == ["gdown", "urlopen"]
    assert not list(cache.glob("*.part")) and not (cache / download.LECTURE.filename).exists()


def test_colab_mnist_download_and_its_fallback(net, colab, capsys):
    assert sources.digits("auto") == "bundled" and set(net.calls) == {"torchvision"}  # each mirror
    line = one_line(capsys)
    assert "could not download MNIST" in line and download.MNIST_URL in line
    net.mnist = True
    assert sources.digits("auto") == "mnist"
    assert download.find_mnist() is not None and capsys.readouterr().out == ""


@pytest.mark.parametrize("choice, error", [("lecture", DownloadError), ("mvtec", DownloadError)])
def test_forced_capsule_that_cannot_be_had_is_an_error(net, synthetic, choice, error, capsys):
    net.gdown = QUOTA_PAGE
    with pytest.raises(error) as err:
        sources.capsule(choice)
    assert "\n" not in str(err.value) and "Download it in a browser" in str(err.value)
    assert synthetic == [] and capsys.readouterr().out == ""


def test_forced_mnist_that_cannot_be_had_is_an_error(net):
    with pytest.raises(DownloadError, match="could not download MNIST"):
        sources.digits("mnist")


def test_synthetic_and_bundled_never_touch_the_network(net, colab, synthetic):
    assert sources.capsule("synthetic")[1] == "synthetic" and sources.digits("bundled") == "bundled"
    assert net.calls == []


@pytest.mark.parametrize("call, choice", [(sources.capsule, "mnist"), (sources.digits, "synthetic"),
                                          (sources.capsule, "Auto")])
def test_unknown_choice_is_a_one_line_error(call, choice):
    with pytest.raises(ValueError, match="DATA must be one of") as err:
        call(choice)
    assert "\n" not in str(err.value)


def test_use_drive_mounts_and_moves_the_cache(colab, monkeypatch, tmp_path):
    mounted = []
    colab.drive = types.SimpleNamespace(mount=mounted.append)
    folder = tmp_path / "MyDrive" / "lecture_utils"
    assert sources.use_drive(str(folder)) == folder
    assert mounted == ["/content/drive"] and config.data_dir() == folder


def test_use_drive_outside_colab_says_what_to_do():
    with pytest.raises(RuntimeError, match="LECTURE_UTILS_DATA"):
        sources.use_drive()


def test_warn_if_slow_only_on_cpu_at_full_settings(monkeypatch, capsys):
    monkeypatch.delenv(config.REDUCED_ENV, raising=False)
    monkeypatch.setattr(config, "_slow_cpu_said", False)
    assert "Change runtime type > GPU" in config.warn_if_slow("cpu")
    assert one_line(capsys).startswith("Training at full settings on the CPU")
    assert config.warn_if_slow("cuda") is None and config.warn_if_slow(config.torch.device("cuda", 0)) is None
    monkeypatch.setenv(config.REDUCED_ENV, "1")
    assert config.warn_if_slow("cpu") is None and capsys.readouterr().out == ""


def test_the_lectures_offline_capsule_is_not_the_one_settings_were_tuned_on(synthetic):
    sources.capsule("synthetic")
    assert synthetic == [sources.LECTURE_SEED] and sources.LECTURE_SEED != sources.TUNING_SEED
