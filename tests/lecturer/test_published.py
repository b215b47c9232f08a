"""The lecturer's published lecture 2 weights, both halves: the release zip made by the lecturer's
`lecture_tools.release` from a real (tiny) finished cache, then downloaded by the student's
`lecture_utils.anogan.published` with the real gdown from a local server, verified, and loaded by
``train_gan``/``train_encoder_cached`` instead of training."""
import hashlib
import io
import re
import zipfile
from dataclasses import replace

import pytest
import torch

from lecture_tools import cli, release
from lecture_utils import REPOSITORY, __version__, outputs
from lecture_utils.anogan import dcgan, published
from lecture_utils.anogan import train as gan_train
from lecture_utils.checkpoint import cache_file, load_checkpoint, partial_path, tensor_identity
from lecture_utils.data import download

N = 12


@pytest.fixture(autouse=True)
def fresh(monkeypatch, tmp_path):
    """Each test: its own cache, downloads allowed, no failure remembered from another test."""
    monkeypatch.setenv("LECTURE_UTILS_DATA", str(tmp_path / "student"))
    monkeypatch.setenv("LECTURE_UTILS_DOWNLOAD", "1")
    monkeypatch.setattr(published, "_failed", {})


def digits(seed=0):
    return torch.rand(N, 1, 64, 64, generator=torch.Generator().manual_seed(seed)) * 2 - 1


GAN = gan_train.GANConfig(epochs=1, batch_size=4)
ENC = gan_train.EncoderConfig(epochs=1, batch_size=4)


def paths():
    """The cache paths as the notebook names them (here: in the current $LECTURE_UTILS_DATA)."""
    gan = cache_file("anogan/gan", source="mnist", cfg=GAN)
    return gan, cache_file("anogan/encoder", source="mnist", cfg=GAN, enc=ENC)


def lecturer_run(monkeypatch, folder, x):
    """A finished cache in ``folder`` as the notebook leaves it: G, D, then E; returns the histories."""
    monkeypatch.setenv("LECTURE_UTILS_DATA", str(folder))
    gan, enc = paths()
    G, D = dcgan.build(width=8)
    h = gan_train.train_gan(G, D, x, GAN, checkpoint=gan, progress=False)
    E = dcgan.build_encoder(width=8)
    e = gan_train.train_encoder_cached(E, G, D, x, ENC, enc, progress=False)
    return h, e


@pytest.fixture
def release_zip(tmp_path, monkeypatch):
    """``(zip bytes, lecturer's GAN history, encoder history)`` from the lecturer's `release.release`."""
    x = digits()
    h, e = lecturer_run(monkeypatch, tmp_path / "lecturer", x)
    out, digest, _ = release.release(tmp_path / "lecturer", tmp_path / "anogan_weights.zip")
    body = out.read_bytes()
    assert digest == hashlib.sha256(body).hexdigest()
    monkeypatch.setenv("LECTURE_UTILS_DATA", str(tmp_path / "student"))
    return body, h, e


def serve(server, monkeypatch, body, path="/anogan_weights.zip"):
    server.files[path] = body
    monkeypatch.setenv(published.WEIGHTS.env, server.url(path))


def student_run(x, train=False, source="mnist", progress=False):
    """The notebook's cells: provide, then train (or load); returns (copied, GAN history, E history)."""
    gan, enc = paths()
    G, D = dcgan.build(width=8, seed=5)
    copied = published.provide(gan, GAN, x, source, train=train)
    h = gan_train.train_gan(G, D, x, GAN, checkpoint=gan, progress=progress)
    E = dcgan.build_encoder(width=8, seed=5)
    copied_e = published.provide(enc, ENC, x, source, train=train, trained_with=gan)
    e = gan_train.train_encoder_cached(E, G, D, x, ENC, enc, progress=progress)
    return (copied, copied_e), h, e


def test_the_default_location_is_the_release_asset_of_the_pinned_tag(monkeypatch):
    monkeypatch.delenv(published.WEIGHTS.env, raising=False)
    assert published.WEIGHTS.location() == (f"https://github.com/{REPOSITORY}/releases/download/"
                                            f"v{__version__}/anogan_weights.zip")
    monkeypatch.setenv(published.WEIGHTS.env, "https://example.org/course/w.zip")
    assert published.WEIGHTS.location() == "https://example.org/course/w.zip"


def test_release_holds_the_finished_cache_files_and_their_checksums(release_zip, tmp_path):
    body, _, _ = release_zip
    with zipfile.ZipFile(io.BytesIO(body)) as z:
        names = sorted(z.namelist())
        sums = dict(reversed(line.split("  ")) for line in z.read("SHA256SUMS").decode().splitlines())
        assert names == sorted(["SHA256SUMS", *sums])
        assert len(sums) == 2 and all(n.startswith("anogan/") and n.endswith(".pt") for n in sums)
        for name, digest in sums.items():
            assert hashlib.sha256(z.read(name)).hexdigest() == digest
            mine, theirs = load_checkpoint(tmp_path / "lecturer" / name), torch.load(io.BytesIO(z.read(name)),
                                                                                     weights_only=True)
            assert sorted(theirs) == sorted(k for k in mine if not k.startswith("opt_"))   # weights, no Adam
            for key in set(theirs) & {"G", "D", "E"}:
                assert all(torch.equal(mine[key][k], theirs[key][k]) for k in mine[key])
        gan = next(n for n in sums if "/gan-" in n)
        assert len(z.read(gan)) < 0.5 * (tmp_path / "lecturer" / gan).stat().st_size


def test_release_refuses_a_partial_run_and_never_overwrites(tmp_path, monkeypatch, capsys):
    lecturer_run(monkeypatch, tmp_path / "c", digits())
    out = tmp_path / "w.zip"
    out.write_bytes(b"mine")
    assert cli.main(["anogan", "release", "--data", str(tmp_path / "c"), "--out", str(out)]) == 2
    assert "never overwritten" in capsys.readouterr().err and out.read_bytes() == b"mine"
    gan, _ = paths()
    partial_path(gan).write_bytes(gan.read_bytes())
    assert cli.main(["anogan", "release", "--data", str(tmp_path / "c"), "--out", str(tmp_path / "x.zip")]) == 2
    assert "unfinished" in capsys.readouterr().err and not (tmp_path / "x.zip").exists()
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []   # no temp file left


def test_release_command_prints_size_and_sha256(tmp_path, monkeypatch, capsys):
    lecturer_run(monkeypatch, tmp_path / "c", digits())
    assert cli.main(["anogan", "release", "--data", str(tmp_path / "c"), "--out", str(tmp_path / "w.zip")]) == 0
    body = (tmp_path / "w.zip").read_bytes()
    assert f"{len(body)} bytes, sha256 {hashlib.sha256(body).hexdigest()}" in capsys.readouterr().out


def test_published_weights_are_downloaded_and_loaded_not_trained(release_zip, server, monkeypatch, capsys):
    body, h_lecturer, e_lecturer = release_zip
    serve(server, monkeypatch, body)
    copied, h, e = student_run(digits(), progress=True)
    out, err = capsys.readouterr()
    assert copied == (True, True) and server.hits == ["/anogan_weights.zip"]
    assert h["d_loss"] == h_lecturer["d_loss"] and e["loss"] == e_lecturer["loss"]
    # one line per model, saying where the weights came from; nothing "trained", no (empty) progress bar
    lines = out.splitlines()
    assert len(lines) == 2 and all(line.startswith("The lecturer's published weights (") for line in lines), out
    assert all(server.url("/anogan_weights.zip") in line and published.WEIGHTS.env in line for line in lines)
    assert "(release" not in out and "training took" not in out and "already trained" not in out
    assert "GAN:" not in err and "encoder:" not in err                    # tqdm's bars: none drawn
    copied, _, _ = student_run(digits())          # a re-run: the cache files are there, nothing downloaded
    out = capsys.readouterr().out
    assert copied == (False, False) and server.hits == ["/anogan_weights.zip"]
    assert [line.split(":")[0] for line in out.splitlines()] == ["GAN", "encoder"]   # one line each
    assert out.count("already trained with these settings") == 2 and "published weights" not in out


def test_the_published_line_names_the_release_when_it_came_from_the_release(release_zip, server, monkeypatch,
                                                                             capsys):
    """The release asset's location, played by the local server (no mirror set): 'release vX.Y.Z'."""
    body, _, _ = release_zip
    server.files["/releases/anogan_weights.zip"] = body
    monkeypatch.delenv(published.WEIGHTS.env, raising=False)
    monkeypatch.setattr(published, "WEIGHTS", replace(published.WEIGHTS, source=server.url("/releases/anogan_weights.zip")))
    copied, _, _ = student_run(digits())
    lines = capsys.readouterr().out.splitlines()
    assert copied == (True, True) and len(lines) == 2
    assert all(f"(release {published.TAG}, downloaded from {server.url('/releases/anogan_weights.zip')})" in line
               for line in lines)
    (download.cache_dir() / f"{published.WEIGHTS.filename}.json").unlink()       # no record: no claim
    assert published.origin() == f"the archive {download.cache_dir() / published.WEIGHTS.filename} already in the cache"


def test_weights_trained_here_say_so_once_with_this_runs_time(server, monkeypatch, capsys):
    monkeypatch.setenv(published.WEIGHTS.env, server.url("/missing.zip"))
    copied, h, e = student_run(digits(), source="bundled")                  # nothing published for these
    out = capsys.readouterr().out.splitlines()
    assert copied == (False, False) and server.hits == []
    gan, enc = paths()
    assert out == [f"GAN: training took {h['seconds']:.0f} s (cached in {gan.name})",
                   f"encoder: training took {e['seconds']:.0f} s (cached in {enc.name})"]
    monkeypatch.setenv("LECTURE_UTILS_LANG", "ja")
    student_run(digits(), source="bundled")                                 # loaded from this run's cache
    out = capsys.readouterr().out.splitlines()
    assert [line.split(":")[0] for line in out] == ["GAN", "エンコーダ"] and all("学習済み" in line for line in out)


def test_a_member_that_does_not_match_the_manifest_is_refused(release_zip, server, monkeypatch, capsys):
    body, h_lecturer, _ = release_zip
    with zipfile.ZipFile(io.BytesIO(body)) as z:
        files = {n: z.read(n) for n in z.namelist()}
    victim = next(n for n in files if n.startswith("anogan/gan-"))
    files[victim] = files[victim][:-1] + bytes([files[victim][-1] ^ 1])
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        for n, data in files.items():
            z.writestr(n, data)
    serve(server, monkeypatch, buf.getvalue())
    copied, h, _ = student_run(digits())
    lines = [line for line in capsys.readouterr().out.splitlines() if "published" in line]
    assert copied == (False, False) and len(lines) == 1 and victim in lines[0] and "SHA256SUMS" in lines[0]
    assert h["d_loss"] != h_lecturer["d_loss"]                  # trained here
    assert download.unpacked(published.WEIGHTS) is None          # nothing of the archive is kept to be used


def test_other_data_are_not_used_and_trained_here(release_zip, server, monkeypatch, capsys):
    body, h_lecturer, _ = release_zip
    serve(server, monkeypatch, body)
    copied, h, _ = student_run(digits(seed=1))     # same settings (same file names), other images
    assert copied == (False, False)
    assert "other data or settings" in capsys.readouterr().out
    assert h["d_loss"] != h_lecturer["d_loss"]                  # trained here, on these images
    assert load_checkpoint(paths()[0])["data"] == tensor_identity(digits(seed=1))


def test_an_existing_file_at_the_cache_path_is_never_overwritten(release_zip, server, monkeypatch):
    body, _, _ = release_zip
    serve(server, monkeypatch, body)
    gan, _ = paths()
    gan.parent.mkdir(parents=True)
    gan.write_bytes(b"the student's own file")
    assert published.provide(gan, GAN, digits(), "mnist") is False
    assert gan.read_bytes() == b"the student's own file" and server.hits == []


def test_train_true_bundled_digits_and_no_downloads_ignore_the_published_weights(release_zip, server, monkeypatch):
    body, _, _ = release_zip
    serve(server, monkeypatch, body)
    gan, _ = paths()
    assert published.provide(gan, GAN, digits(), "mnist", train=True) is False
    assert published.provide(gan, GAN, digits(), "bundled") is False
    monkeypatch.setenv("LECTURE_UTILS_DOWNLOAD", "0")
    assert published.provide(gan, GAN, digits(), "mnist") is False
    assert server.hits == [] and not gan.exists()


def test_a_failed_download_says_one_line_and_trains(server, monkeypatch, capsys):
    monkeypatch.setenv(published.WEIGHTS.env, server.url("/missing.zip"))
    copied, h, _ = student_run(digits())
    lines = [line for line in capsys.readouterr().out.splitlines() if "published" in line]
    assert copied == (False, False) and len(lines) == 1 and "training here" in lines[0]
    assert server.hits == ["/missing.zip"] and len(h["d_loss"]) > 0       # tried once, not per model


def test_a_folder_without_hard_links_still_gets_the_copy_but_never_over_a_file(release_zip, server, monkeypatch):
    """Google Drive's folder in Colab (USE_DRIVE) refuses hard links: the copy is renamed into place."""
    def no_links(src, dst):
        raise PermissionError(1, "Operation not permitted")
    body, _, _ = release_zip
    serve(server, monkeypatch, body)
    monkeypatch.setattr(outputs.os, "link", no_links)   # (outputs.place_new links)
    gan, _ = paths()
    assert published.provide(gan, GAN, digits(), "mnist") is True
    assert load_checkpoint(gan)["data"] == tensor_identity(digits())
    assert [p.name for p in gan.parent.iterdir()] == [gan.name]      # no temp file left
    with pytest.raises(ValueError, match="never overwritten"):
        outputs.place_new(gan.parent / "other", gan)
    assert load_checkpoint(gan)["data"] == tensor_identity(digits())


def test_the_reference_line_quotes_the_full_settings_run_of_the_notebook_from_the_file_it_names():
    """Notebook 02's "reference, real MNIST, full settings (FILE)" line: the figures the notebook printed
    at full settings (docs/results.md, the run that made the published weights), not bench_anogan.py's."""
    from pathlib import Path
    from lecture_utils.messages import say
    run = published.FULL_RUN
    text = " ".join((Path(__file__).parents[2] / run["file"]).read_text(encoding="utf-8").split())
    section = text[text.index("### Lecture 2's published weights"):]
    assert re.search(rf"search A\(x\) {run['search']:.3f} \([^)]*\), encoder {run['encoder']:.3f}, encoder \+ "
                     rf"{run['short']} search steps {run['refined']:.3f}", section)
    line = say("gan_reference", **run)
    assert line == (f"reference, real MNIST, full settings ({run['file']}): {run['steps']}-step search "
                    f"{run['search']:.3f}, encoder {run['encoder']:.3f}, encoder + {run['short']} steps "
                    f"{run['refined']:.3f}")
