"""The notebooks' ``DATA = "auto"`` choice: Colab is simulated; downloads are real (gdown, torchvision)
from a local HTTP server (`conftest.LocalServer`), as are checking, unpacking and caching."""
import hashlib
import sys
import types
from dataclasses import replace

import pytest

from conftest import closed_port_url, zip_bytes
from outputs import english_in, english_sentences
from test_download import (LECTURE_FILES, QUOTA_PAGE, capsule_files, serve_mnist, tar_bytes, write_mnist_gz,
                           write_zip)

from lecture_utils import config, messages
from lecture_utils.data import download, sources
from lecture_utils.data.download import MVTEC_CAPSULE, DownloadError
from lecture_utils.data.mvtec import load_split


class Network:
    """Where the package downloads from, all on the local server: the lecture archive (gdown), the
    official capsule and MNIST (torchvision); ``calls`` lists the paths asked for.  Nothing is served
    until a test puts it there."""

    def __init__(self, server, monkeypatch):
        import torchvision
        self.server, self.calls = server, server.hits
        monkeypatch.setenv(download.LECTURE.env, server.url("/lecture.zip"))
        monkeypatch.setenv(MVTEC_CAPSULE.env, server.url("/capsule.tar.xz"))
        monkeypatch.setattr(torchvision.datasets.MNIST, "mirrors", [server.url("/mnist/")])
        self.monkeypatch = monkeypatch

    def lecture(self, body):
        self.server.files["/lecture.zip"] = body

    def capsule(self, body):
        """The official capsule (its published MD5 replaced by this one's)."""
        self.server.files["/capsule.tar.xz"] = body
        self.monkeypatch.setitem(download.ARCHIVES, MVTEC_CAPSULE.name,
                                 replace(MVTEC_CAPSULE, md5=hashlib.md5(body).hexdigest()))

    def mnist(self):
        serve_mnist(self.server, self.monkeypatch)


@pytest.fixture(autouse=True)
def cache(tmp_path, monkeypatch):
    monkeypatch.setenv(config.DATA_ENV, str(tmp_path / "cache"))
    monkeypatch.delenv(sources.DOWNLOAD_ENV, raising=False)
    monkeypatch.delitem(sys.modules, "google.colab", raising=False)
    return tmp_path / "cache"


@pytest.fixture
def net(server, monkeypatch):
    return Network(server, monkeypatch)


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
    assert "downloads are off outside Colab" in line and "set DATA = 'lecture'" in line
    assert sources.digits("auto") == "bundled"
    line = one_line(capsys)
    assert "downloads are off outside Colab" in line and "set DATA = 'mnist'" in line
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
    assert sources.lecture_weights() is None                     # nothing was downloaded


def test_colab_downloads_the_lecture_archive_first(net, cache, colab, synthetic, capsys):
    net.lecture(zip_bytes(LECTURE_FILES))
    root, name = sources.capsule("auto")
    assert name == "lecture" and net.calls == ["/lecture.zip"] and synthetic == []
    assert len(load_split(root, "test", image_size=8)) == 2
    assert sources.lecture_weights().read_bytes() == b"weights"
    assert capsys.readouterr().out == ""
    assert sources.capsule("auto") == (root, "lecture") and net.calls == ["/lecture.zip"]   # cached


def test_opt_in_downloads_outside_colab(net, monkeypatch, synthetic):
    monkeypatch.setenv(sources.DOWNLOAD_ENV, "1")
    net.lecture(zip_bytes(LECTURE_FILES))
    assert sources.may_download() and sources.capsule("auto")[1] == "lecture"


def test_colab_falls_back_to_the_official_capsule(net, colab, synthetic):
    net.lecture(QUOTA_PAGE)
    net.capsule(tar_bytes(capsule_files("capsule/")))
    root, name = sources.capsule("auto")
    assert name == "mvtec" and root.name == "capsule" and net.calls == ["/lecture.zip", "/capsule.tar.xz"]
    assert synthetic == []


@pytest.mark.parametrize("payload, reason", [
    (QUOTA_PAGE, "the server sent a web page, not the archive"),
    ("corrupt", "not a zip or tar archive"),
    (None, "no network"),
])
def test_colab_failed_downloads_fall_back_with_one_short_line(net, cache, colab, synthetic, capsys, monkeypatch,
                                                               payload, reason):
    if payload is None:
        monkeypatch.setenv(download.LECTURE.env, closed_port_url())
    else:
        net.lecture(zip_bytes(LECTURE_FILES)[:200] if payload == "corrupt" else payload)
    assert sources.capsule("auto") == (cache.parent / "syn", "synthetic") and synthetic == [sources.LECTURE_SEED]
    line = one_line(capsys)
    assert line.startswith(f"Synthetic capsule used ({reason}). Real data: download ")       # why
    assert download.LECTURE.url in line and f"upload it to {cache} (Files panel)" in line     # what to do
    assert "/capsule.tar.xz" in net.calls                                                    # both were tried
    assert not list(cache.iterdir())                                     # no file is left, under no name



@pytest.fixture
def colab_folder(colab, monkeypatch, tmp_path):
    """Colab without $LECTURE_UTILS_DATA: the data folder is COLAB_DATA, under Colab's /content."""
    content = tmp_path / "content"
    monkeypatch.delenv(config.DATA_ENV)
    monkeypatch.setattr(config, "COLAB_DATA", content / "lecture_utils_data")
    monkeypatch.setattr(download, "COLAB_ROOT", content)
    return content / "lecture_utils_data"


def test_in_colab_the_data_folder_is_one_the_files_panel_shows(colab_folder, monkeypatch, tmp_path):
    assert config.data_dir() == colab_folder and colab_folder.is_dir()
    assert download.shown(colab_folder / "mnist") == "lecture_utils_data/mnist"
    monkeypatch.setenv(config.DATA_ENV, str(tmp_path / "drive"))                 # USE_DRIVE sets it
    assert config.data_dir() == tmp_path / "drive"


@pytest.mark.parametrize("lang", ["en", "ja"])
@pytest.mark.parametrize("reason", ["reason_web_page", "reason_drive", "reason_timeout", "reason_offline",
                                    "reason_status", "reason_broken", "reason_tls", "reason_damaged"])
def test_fallback_lines_in_colab_are_at_most_200_characters(colab_folder, synthetic, capsys, monkeypatch,
                                                            lang, reason):
    """The longest reasons (Drive's only for the archive), the default archive and Colab's folder, in
    both languages; the MNIST line names its four files (they cannot be had from the folder URL
    alone), and may take up to 300 characters for them."""
    monkeypatch.setenv(messages.LANG_ENV, lang)
    monkeypatch.setattr(download, "fetch", lambda *a: (_ for _ in ()).throw(
        DownloadError("download_failed", what="x.zip", how="a long message on how to go on by hand",
                      reason=messages.say(reason, seconds=download.TIMEOUT, status=503))))
    monkeypatch.setattr(download, "download_mnist", download.fetch)
    assert sources.capsule("auto")[1] == "synthetic"
    if "drive" not in reason and "web_page" not in reason:
        assert sources.digits("auto") == "bundled"
    for line in capsys.readouterr().out.splitlines():
        mnist = download.MNIST_URL in line
        assert len(line) <= (300 if mnist else 200), line
        assert "lecture_utils_data" in line and messages.say(reason, seconds=download.TIMEOUT, status=503) in line
        assert not mnist or all(f"{name}.gz" in line for name in download.MNIST_FILES), line


def test_a_japanese_notebook_gets_japanese_lines(net, cache, colab, synthetic, capsys, monkeypatch):
    monkeypatch.setenv(messages.LANG_ENV, "ja")
    monkeypatch.setenv(download.LECTURE.env, closed_port_url())
    monkeypatch.setenv(MVTEC_CAPSULE.env, closed_port_url())
    sources.capsule("auto")
    assert one_line(capsys) == messages.say("capsule_failed", reason="ネットワークにつながりません", how=messages.say(
        "archive_upload", url=download.LECTURE.url, folder=cache))
    monkeypatch.setattr(sources, "in_colab", lambda: False)
    monkeypatch.setattr(config, "in_colab", lambda: False)
    sources.digits("auto")
    assert one_line(capsys).startswith("scikit-learn 付属の 8x8 の数字画像を使います（")
    with pytest.raises(DownloadError) as err:
        sources.capsule("lecture")
    assert str(err.value).startswith("anomaly_detection_data.zip をダウンロードできませんでした: ネットワークにつながりません。")


def test_colab_mnist_download_and_its_fallback(net, colab, capsys, cache):
    assert sources.digits("auto") == "bundled" and net.calls                 # tried, nothing served
    line = one_line(capsys)
    assert line.startswith("Bundled digits used (") and download.MNIST_URL in line
    net.mnist()
    assert sources.digits("auto") == "mnist"
    assert download.find_mnist() is not None and capsys.readouterr().out == ""


@pytest.mark.parametrize("choice", ["lecture", "mvtec"])
def test_forced_capsule_that_cannot_be_had_is_an_error(net, synthetic, choice, capsys):
    net.lecture(QUOTA_PAGE)
    with pytest.raises(DownloadError) as err:
        sources.capsule(choice)
    assert "\n" not in str(err.value) and "By hand: download" in str(err.value)
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


@pytest.mark.parametrize("variable", ["DATA", "DIGITS_DATA"])
def test_the_digits_lines_name_the_notebooks_own_variable(net, synthetic, capsys, variable):
    """Notebook 00 holds the digits' choice in DIGITS_DATA, notebook 02 in DATA: each line says its own."""
    assert sources.digits("auto", variable=variable) == "bundled"
    line = one_line(capsys)
    assert f"set {variable} = 'mnist'" in line and (variable == "DATA" or " DATA =" not in line)
    with pytest.raises(ValueError, match=f"^{variable} must be one of"):
        sources.digits("synthetic", variable=variable)


def test_the_mnist_fallback_names_the_four_files_and_where_they_go(net, colab, capsys, cache):
    assert sources.digits("auto") == "bundled"
    line = one_line(capsys)
    assert all(f"{name}.gz" in line for name in download.MNIST_FILES) and download.MNIST_URL in line
    assert "MNIST/raw" in line


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
    config.warn_if_slow("cuda")
    config.warn_if_slow(config.torch.device("cuda", 0))
    assert capsys.readouterr().out == "" and not config._slow_cpu_said
    monkeypatch.setenv(config.REDUCED_ENV, "1")
    config.warn_if_slow("cpu")
    assert capsys.readouterr().out == "" and not config._slow_cpu_said
    monkeypatch.delenv(config.REDUCED_ENV)
    config.warn_if_slow("cpu")
    assert one_line(capsys).startswith("Training at full settings on the CPU")


def test_the_lectures_offline_capsule_is_not_the_one_settings_were_tuned_on(synthetic):
    sources.capsule("synthetic")
    assert synthetic == [sources.LECTURE_SEED] and sources.LECTURE_SEED != sources.TUNING_SEED


def test_describe_names_the_data_set_in_the_notebooks_language(tmp_path, monkeypatch):
    names = ("synthetic", "lecture", "mvtec", "env")
    labels = {name: sources.describe(name, tmp_path / "mine") for name in names}
    assert labels["synthetic"] == f"capsule: synthetic, seed {sources.LECTURE_SEED} (offline)"
    assert "real" in labels["lecture"] and "archive" in labels["lecture"] and "MVTec AD" in labels["mvtec"]
    assert sources.CAPSULE_ENV in labels["env"] and "mine" in labels["env"]
    assert all(text.isascii() for text in labels.values())
    monkeypatch.setenv(messages.LANG_ENV, "ja")
    ja = {name: sources.describe(name, tmp_path / "mine") for name in names}
    assert ja["synthetic"] == f"合成カプセル（シード {sources.LECTURE_SEED}、オフライン）" and "MVTec AD" in ja["mvtec"]
    assert sources.CAPSULE_ENV in ja["env"] and "mine" in ja["env"]
    # printed in the Japanese notebooks: no English line of the catalogue, no English sentence (notebooks/conftest.py)
    assert [english_in(text) + english_sentences(text) for text in ja.values()] == [[]] * 4


@pytest.mark.parametrize("value, on", [("1", True), ("Yes", True), ("off", False), ("NO", False), ("", False)])
def test_the_download_opt_in_reads_on_and_off_words(monkeypatch, value, on):
    monkeypatch.setenv(sources.DOWNLOAD_ENV, value)
    assert sources.may_download() is on


def test_an_unknown_download_opt_in_names_the_variable(monkeypatch):
    monkeypatch.setenv(sources.DOWNLOAD_ENV, "maybe")
    with pytest.raises(ValueError, match="LECTURE_UTILS_DOWNLOAD"):
        sources.may_download()
