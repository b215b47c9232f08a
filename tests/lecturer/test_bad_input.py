"""A hostile but realistic user: bad arguments, messy folders, foreign files, Ctrl-C.

Every case runs the command line (a few through a real ``python -m lecture_tools`` subprocess,
the rest through ``cli.main`` in-process, the same code after the interpreter starts) and checks
the exit code, the one-line message and that no file of the user changed (the whole folder is
snapshotted, bytes included, before and after).  Offline, tiny images, a few seconds per case.
"""
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image

from lecture_tools import cli
from lecture_utils.checkpoint import load_checkpoint

REPO = Path(__file__).resolve().parents[2]
PYTHONPATH = os.pathsep.join([str(REPO), str(REPO / "lecturer")])   # this checkout's two packages


def write(path, array, mode=None):
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(array, mode).save(path)


def make_folder(root, n_train=4, rgb=False, seed=0):
    """A tiny MVTec-layout folder: train/good, test/good, test/spot with masks."""
    rng = np.random.default_rng(seed)
    shape = (32, 32, 3) if rgb else (32, 32)
    for i in range(n_train):
        write(root / "train" / "good" / f"{i:03d}.png", rng.integers(90, 110, shape, dtype=np.uint8))
    for i in range(2):
        write(root / "test" / "good" / f"{i:03d}.png", rng.integers(90, 110, shape, dtype=np.uint8))
        img = rng.integers(90, 110, shape, dtype=np.uint8)
        img[8:16, 8:16] = 255
        write(root / "test" / "spot" / f"{i:03d}.png", img)
        mask = np.zeros((32, 32), np.uint8)
        mask[8:16, 8:16] = 255
        write(root / "ground_truth" / "spot" / f"{i:03d}_mask.png", mask)
    return root


def snapshot(folder) -> dict:
    """Every file under ``folder`` (hidden ones too) with its bytes."""
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(Path(folder).rglob("*")) if p.is_file()}


@pytest.fixture
def user(tmp_path, monkeypatch):
    """The user's folder: a data set, notes, and the cache elsewhere; cwd is the user's folder."""
    home = tmp_path / "user"
    make_folder(home / "toy")
    (home / "notes.txt").write_text("my notes")
    monkeypatch.chdir(home)
    monkeypatch.setenv("LECTURE_UTILS_REDUCED", "1")
    return home


def run(args, cwd, env_extra=None, timeout=120):
    """``python -m lecture_tools ARGS`` in a subprocess: (exit code, stdout, stderr)."""
    env = {**os.environ, "PYTHONPATH": PYTHONPATH, "OMP_NUM_THREADS": "1", "LECTURE_UTILS_REDUCED": "1",
           **(env_extra or {})}
    p = subprocess.run([sys.executable, "-m", "lecture_tools", *map(str, args)], cwd=cwd, env=env,
                       capture_output=True, text=True, timeout=timeout)
    return p.returncode, p.stdout, p.stderr


def call(args, capsys):
    """``cli.main(ARGS)`` in-process: (exit code, stdout, stderr); argparse's exits included."""
    try:
        rc = cli.main([str(a) for a in args])
    except SystemExit as e:
        rc = e.code
    out, err = capsys.readouterr()
    return rc, out, err


def one_line_error(err: str, *words) -> str:
    """The message is one line starting with 'error:' holding ``words``, without a traceback."""
    lines = [line for line in re.split(r"[\r\n]+", err)
             if line.strip() and not line.startswith("note:") and "%|" not in line]   # tqdm's bars
    assert len(lines) == 1 and lines[0].startswith("error: ") and "Traceback" not in err, err
    for w in words:
        assert w in lines[0], (w, lines[0])
    return lines[0]


# --- through the real command line ---------------------------------------------------------------
def test_subprocess_refuses_to_empty_the_current_folder(user, tmp_path):
    before = snapshot(tmp_path)
    rc, out, err = run(["data", "synthetic-capsule", "."], cwd=user)
    assert rc == 2 and out == ""
    one_line_error(err, "refusing to replace", str(user), "current folder")
    assert snapshot(tmp_path) == before


def test_subprocess_bad_argument_names_the_flag(user, tmp_path):
    before = snapshot(tmp_path)
    rc, out, err = run(["vae", "train", "--data", "toy", "--out", "w.pt", "--epochs", "0"], cwd=user)
    assert rc == 2 and out == ""
    one_line_error(err, "--epochs", "must be an integer >= 1, got '0'")
    assert snapshot(tmp_path) == before


def test_subprocess_pickle_payload_does_not_run(user, tmp_path):
    marker = tmp_path / "pwned"

    class Payload:
        def __reduce__(self):
            return (os.system, (f"touch {marker}",))
    torch.save({"model": Payload()}, user / "shared.pt")
    before = snapshot(tmp_path)
    rc, out, err = run(["vae", "evaluate", "--data", "toy", "--weights", "shared.pt", "--iterations", "1"], cwd=user)
    assert rc == 2 and not marker.exists()
    one_line_error(err, "shared.pt was not loaded", "could run code")
    assert snapshot(tmp_path) == before


def test_subprocess_ctrl_c_says_where_the_checkpoint_is(user):
    env = {**os.environ, "PYTHONPATH": PYTHONPATH, "OMP_NUM_THREADS": "1", "LECTURE_UTILS_REDUCED": "1"}
    p = subprocess.Popen([sys.executable, "-m", "lecture_tools", "vae", "train", "--data", "toy", "--out", "w.pt",
                          "--epochs", "100000", "--z-dim", "4", "--batch-size", "2", "--save-every", "1",
                          "--device", "cpu"], cwd=user, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                         text=True)
    try:
        line = p.stdout.readline()
        assert "progress is kept in" in line, line
        deadline = time.time() + 60
        while load_epoch(user / "w.pt.partial") < 0 and time.time() < deadline:
            time.sleep(0.2)
        p.send_signal(signal.SIGINT)
        out, err = p.communicate(timeout=60)
    finally:
        p.kill()
    assert p.returncode == 130
    last = re.split(r"[\r\n]+", err.strip())[-1]
    assert re.fullmatch(r"interrupted: VAE training stopped in epoch \d+; the last checkpoint \(epoch \d+\) is "
                        r".*w\.pt\.partial: run the same cell or command again to resume", last), err[-500:]
    assert "Traceback" not in err and not (user / "w.pt").exists()


def load_epoch(path) -> int:
    try:
        return load_checkpoint(path)["epoch"]
    except (FileNotFoundError, ValueError):
        return -1


# --- through cli.main ------------------------------------------------------------------------------
@pytest.mark.parametrize("args, words", [
    (["vae", "train", "--data", "toy", "--out", "w.pt", "--batch-size", "0"], ["--batch-size", ">= 1"]),
    (["vae", "train", "--data", "toy", "--out", "w.pt", "--save-every", "0"], ["--save-every"]),
    (["vae", "train", "--data", "toy", "--out", "w.pt", "--lr", "nan"], ["--lr", "finite"]),
    (["vae", "train", "--data", "toy", "--out", "w.pt", "--lr", "-1"], ["--lr", "> 0"]),
    (["vae", "train", "--data", "toy", "--out", "w.pt", "--device", "tpu"], ["--device", "unknown device 'tpu'"]),
    (["vae", "train", "--data", "toy", "--out", "w.pt", "--z-dim", "0"], ["--z-dim"]),
    (["vae", "train", "--data", "toy", "--out", "w.pt", "--seed", "-1"], ["--seed"]),
    (["vae", "evaluate", "--data", "toy", "--weights", "w.pt", "--iterations", "0"], ["--iterations"]),
    (["vae", "evaluate", "--data", "toy", "--weights", "w.pt", "--alpha", "inf"], ["--alpha", "finite"]),
    (["vae", "evaluate", "--data", "toy", "--weights", "w.pt", "--lam", "nan"], ["--lam", "finite"]),
    (["vae", "evaluate", "--data", "toy", "--weights", "w.pt", "--sigma", "-1"], ["--sigma"]),
    (["vae", "evaluate", "--data", "toy", "--weights", "w.pt", "--reference", "-2"], ["--reference"]),
    (["vae", "evaluate", "--data", "toy", "--weights", "w.pt", "--methods", "paper,bogus"], ["--methods", "bogus"]),
    (["anogan", "train", "--data", "toy", "--out", "g.pt", "--epochs", "-3"], ["--epochs"]),
    (["anogan", "train", "--data", "toy", "--out", "g.pt", "--encoder-epochs", "-1"], ["--encoder-epochs"]),
    (["anogan", "evaluate", "--data", "toy", "--weights", "g.pt", "--iterations", "-5"], ["--iterations"]),
    (["anogan", "evaluate", "--data", "toy", "--weights", "g.pt", "--restarts", "0"], ["--restarts"]),
    (["anogan", "evaluate", "--data", "toy", "--weights", "g.pt", "--lam", "nan"], ["--lam"]),
    (["anogan", "evaluate", "--data", "toy", "--weights", "g.pt", "--lam", "1.5"], ["--lam", "<= 1"]),
    (["anogan", "evaluate", "--data", "toy", "--weights", "g.pt", "--device", "gpu"], ["--device"]),
    (["data", "digits", "d", "--n-train", "-5"], ["--n-train"]),
    (["data", "digits", "d", "--n-test", "1"], ["--n-test"]),
    (["data", "download", "mnist", "--timeout", "0"], ["--timeout"]),
    (["data", "synthetic-capsule", "cap", "--seed", "x"], ["--seed", "integer"]),
])
def test_bad_arguments_are_one_line_naming_the_flag_before_any_work(user, tmp_path, capsys, args, words):
    before = snapshot(tmp_path)
    rc, out, err = call(args, capsys)
    assert rc == 2 and out == ""
    one_line_error(err, "argument", *words)
    assert snapshot(tmp_path) == before


def test_cuda_without_cuda_is_one_line(user, capsys, monkeypatch):
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    rc, _, err = call(["vae", "train", "--data", "toy", "--out", "w.pt", "--device", "cuda"], capsys)
    assert rc == 2
    one_line_error(err, "--device", "CUDA is not available")


@pytest.mark.parametrize("target", ["folder", "notes", "git", "parent"])
def test_folders_the_command_did_not_write_are_never_replaced(user, tmp_path, capsys, target):
    (user / "proj" / ".git").mkdir(parents=True)
    (user / "proj" / "code.py").write_text("x = 1")
    out = {"folder": user / "toy", "notes": user / "notes.txt", "git": user / "proj", "parent": tmp_path}[target]
    before = snapshot(tmp_path)
    for force in ([], ["--force"]) if target != "folder" else ([],):
        rc, _, err = call(["data", "synthetic-capsule", out, *force], capsys)
        assert rc == 2
        one_line_error(err, str(out.resolve()))
        assert snapshot(tmp_path) == before


def test_force_replaces_an_ordinary_folder_atomically(user, capsys, monkeypatch):
    from lecture_utils.data import digits
    (user / "old").mkdir()
    (user / "old" / "a.txt").write_text("old result")
    real = digits.Image.Image.save
    monkeypatch.setattr(digits.Image.Image, "save", lambda *a, **k: (_ for _ in ()).throw(OSError("disk full")))
    rc, _, err = call(["data", "digits", "old", "--n-train", "4", "--n-test", "4", "--force"], capsys)
    one_line_error(err, "disk full")
    assert [p.name for p in user.iterdir() if p.name.startswith(".")] == [], "no temporary folder is left"
    assert (user / "old" / "a.txt").read_text() == "old result"          # a failure keeps the old folder
    monkeypatch.setattr(digits.Image.Image, "save", real)
    assert call(["data", "digits", "old", "--n-train", "4", "--n-test", "4", "--force"], capsys)[0] == 0
    assert not (user / "old" / "a.txt").exists() and (user / "old" / "digits.json").is_file()


def test_digits_refuse_a_foreign_folder_and_replace_their_own(user, tmp_path, capsys):
    before = snapshot(tmp_path)
    rc, _, err = call(["data", "digits", "toy", "--n-train", "10", "--n-test", "10"], capsys)
    assert rc == 2 and snapshot(tmp_path) == before
    one_line_error(err, "toy is not empty and was not written by this command", "--force")
    assert call(["data", "digits", "d", "--n-train", "10", "--n-test", "10"], capsys)[0] == 0
    assert call(["data", "digits", "d", "--normal", "1", "--n-train", "6", "--n-test", "4"], capsys)[0] == 0
    assert len(list((user / "d" / "train" / "good").glob("*.png"))) == 6      # not mixed with the first set
    assert sorted(p.name for p in (user / "d" / "test").iterdir()) == ["2", "good"]
    (user / "d" / "mine.txt").write_text("added by the user")
    rc, _, err = call(["data", "digits", "d", "--n-train", "10", "--n-test", "10"], capsys)
    assert rc == 2
    one_line_error(err, "holds files this command did not write (e.g. mine.txt)")
    assert (user / "d" / "mine.txt").read_text() == "added by the user"


def test_vae_resume_names_what_differs_and_fewer_epochs_is_an_error(user, tmp_path, capsys):
    base = ["vae", "train", "--data", "toy", "--out", "w.pt", "--z-dim", "4", "--batch-size", "2", "--device", "cpu"]
    assert call(base + ["--epochs", "2"], capsys)[0] == 0
    assert sorted(p.name for p in user.iterdir() if p.name.startswith("w.pt")) == ["w.pt"]
    make_folder(user / "other", seed=1)
    before = snapshot(tmp_path)
    rc, _, err = call([*base[:3], "other", *base[4:], "--epochs", "2"], capsys)
    assert rc == 2 and snapshot(tmp_path) == before
    one_line_error(err, "w.pt was trained with other settings or data", "data folder", "--fresh")
    rc, _, err = call(base + ["--epochs", "2", "--lr", "1e-3"], capsys)
    one_line_error(err, "setting lr: 0.0002 there, 0.001 now")
    rc, _, err = call(base + ["--epochs", "1"], capsys)
    assert rc == 2
    one_line_error(err, "already holds 2 epochs, more than the 1 asked for")
    rc, out, _ = call(base + ["--epochs", "2"], capsys)
    assert rc == 0 and out.startswith("already trained") and snapshot(tmp_path) == before
    assert call([*base[:3], "other", *base[4:], "--epochs", "1", "--fresh"], capsys)[0] == 0
    assert load_checkpoint(user / "w.pt")["data"]["folder"] == str((user / "other").resolve())


def test_vae_out_that_is_not_ours_is_never_overwritten(user, tmp_path, capsys):
    torch.save({"something": torch.zeros(3)}, user / "w.pt")
    before = snapshot(tmp_path)
    for fresh in ([], ["--fresh"]):
        rc, _, err = call(["vae", "train", "--data", "toy", "--out", "w.pt", "--epochs", "1", *fresh], capsys)
        assert rc == 2
        one_line_error(err, "not a checkpoint written by train_vae")
    rc, _, err = call(["vae", "train", "--data", "toy", "--out", "notes.txt", "--epochs", "1", "--fresh"], capsys)
    one_line_error(err, "notes.txt exists and is not a checkpoint written by train_vae")
    rc, _, err = call(["anogan", "train", "--data", "toy", "--out", "notes.txt", "--epochs", "1"], capsys)
    one_line_error(err, "--out notes.txt exists and is not a weights file written by anogan train")
    rc, _, err = call(["vae", "train", "--data", "toy", "--out", "toy", "--epochs", "1"], capsys)
    one_line_error(err, "--out", "is a folder")
    rc, _, err = call(["vae", "train", "--data", "toy", "--out", "notes.txt/w.pt", "--epochs", "1"], capsys)
    one_line_error(err, "--out", "is a file, not a folder")
    assert snapshot(tmp_path) == before


def test_an_unfinished_run_is_not_evaluated(user, capsys, monkeypatch):
    from lecture_utils.vae import train as vt
    calls = []
    real = vt.train_epoch
    monkeypatch.setattr(vt, "train_epoch", lambda *a: (calls.append(1), real(*a))[1] if len(calls) < 1
                        else (_ for _ in ()).throw(KeyboardInterrupt))
    rc, _, err = call(["vae", "train", "--data", "toy", "--out", "w.pt", "--epochs", "3", "--z-dim", "4",
                       "--save-every", "1"], capsys)
    assert rc == 130 and not (user / "w.pt").exists()
    assert re.search(r"^interrupted: .*the last checkpoint \(epoch 1\) is .*w\.pt\.partial", err, re.M)
    rc, _, err = call(["vae", "evaluate", "--data", "toy", "--weights", "w.pt"], capsys)
    one_line_error(err, "no checkpoint at", "an unfinished training run is in")
    rc, _, err = call(["vae", "evaluate", "--data", "toy", "--weights", "w.pt.partial"], capsys)
    one_line_error(err, "unfinished training run (epoch 1 of 3)")


def test_divergence_ends_with_one_line_and_finite_weights_on_disk(user, capsys, monkeypatch):
    from lecture_utils.vae import train as vt
    real = vt.train_step
    steps = []

    def diverging(model, optimizer, x):
        steps.append(1)
        return real(model, optimizer, x * float("nan") if len(steps) > 2 else x)
    monkeypatch.setattr(vt, "train_step", diverging)
    rc, _, err = call(["vae", "train", "--data", "toy", "--out", "w.pt", "--epochs", "5", "--z-dim", "4",
                       "--batch-size", "2"], capsys)
    assert rc == 2
    one_line_error(err, "NaN/inf in epoch 2", "last finite weights (epoch 0) are in", "w.pt.partial")
    state = load_checkpoint(user / "w.pt.partial")
    assert all(torch.isfinite(v).all() for v in state["model"].values())


def test_anogan_rerun_on_other_data_does_not_reuse_the_old_run(user, tmp_path, capsys):
    from lecture_tools import anogan_cli as cli_anogan
    make_folder(user / "other", n_train=6, seed=2)
    base = ["anogan", "train", "--out", "g.pt", "--encoder-epochs", "0", "--epochs", "1"]
    assert call(base + ["--data", "toy"], capsys)[0] == 0
    assert sorted(p.name for p in user.iterdir() if p.name.startswith("g.pt")) == ["g.pt"]
    first = cli_anogan.load_models(user / "g.pt")[0].state_dict()
    before = snapshot(tmp_path)
    rc, _, err = call(base + ["--data", "other"], capsys)
    assert rc == 2 and snapshot(tmp_path) == before
    one_line_error(err, "g.pt was trained with other settings or data", "--fresh")
    assert call(base + ["--data", "toy"], capsys)[1].startswith("already trained")
    rc, out, _ = call(base + ["--data", "other", "--fresh"], capsys)
    assert rc == 0 and "trained on 6 images" in out
    second = cli_anogan.load_models(user / "g.pt")[0].state_dict()
    assert any(not torch.equal(first[k], second[k]) for k in first)


def test_anogan_epochs_follow_the_notebook_unless_given(user, capsys, monkeypatch):
    from lecture_utils.anogan import train as gan_train
    seen = {}
    monkeypatch.setattr(gan_train, "train_gan",
                        lambda G, D, images, cfg, **kw: seen.update(gan=cfg, device=kw["device"])
                        or {"epoch_d": [0.0], "epoch_g": [0.0]})
    monkeypatch.setattr(gan_train, "train_encoder", lambda E, G, D, images, cfg, **kw: seen.update(enc=cfg))
    assert call(["anogan", "train", "--data", "toy", "--out", "g.pt"], capsys)[0] == 0
    assert seen["gan"] == gan_train.GANConfig.for_images(4) and seen["enc"] == gan_train.EncoderConfig.for_images(4)
    from lecture_utils.config import pick_device
    assert seen["device"] == pick_device("auto")          # --device defaults to auto (the CPU here)
    assert call(["anogan", "train", "--data", "toy", "--out", "g2.pt", "--epochs", "3", "--encoder-epochs", "1"],
                capsys)[0] == 0
    assert seen["gan"].epochs == 3 and seen["enc"].epochs == 1


def test_device_is_honoured_and_the_cuda_branch_is_plumbed(user, capsys, monkeypatch):
    from lecture_tools import vae_cli as cli_vae
    from lecture_utils import config
    seen = []
    monkeypatch.setattr(cli_vae, "train_vae", lambda images, cfg, **kw: seen.append(kw["device"]) or (None, [1.0]))
    assert call(["vae", "train", "--data", "toy", "--out", "w.pt", "--epochs", "1", "--device", "cpu"], capsys)[0] == 0
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    monkeypatch.setattr(torch.cuda, "device_count", lambda: 1)
    assert config.pick_device() == config.pick_device("auto") == torch.device("cuda")
    assert call(["vae", "train", "--data", "toy", "--out", "w2.pt", "--epochs", "1", "--device", "cuda"],
                capsys)[0] == 0
    assert call(["vae", "train", "--data", "toy", "--out", "w3.pt", "--epochs", "1"], capsys)[0] == 0
    assert seen == [torch.device("cpu"), torch.device("cuda"), torch.device("cuda")]
    with pytest.raises(ValueError, match="only 1 CUDA device"):
        config.pick_device("cuda:3")


def test_channels_come_from_the_whole_split_and_other_train_folders_are_ignored(user, tmp_path, capsys):
    from lecture_tools import vae_cli as cli_vae
    root = make_folder(user / "rgb", rgb=True)
    write(root / "train" / "good" / "000_gray_first.png", np.full((32, 32), 100, np.uint8))
    write(root / "train" / "bad_ones" / "x.png", np.zeros((32, 32, 3), np.uint8))
    assert cli_vae._channels(root, None) == 3
    err = capsys.readouterr().err
    assert "1 of 5 training images are grayscale" in err and "train/bad_ones (1 images) is ignored" in err
    rc, out, _ = call(["data", "info", root], capsys)
    assert rc == 0 and "(32x32 RGB: 8, 32x32 L: 1)" in out and "train/bad_ones (1 images) is not training data" in out
    from lecture_utils.data.mvtec import load_split
    assert len(load_split(root, "train", 32, 3)) == 5


def test_corrupt_mnist_in_a_root_is_one_line_and_the_cache_stays_clean(user, tmp_path, capsys, monkeypatch):
    import gzip
    monkeypatch.setenv("LECTURE_UTILS_DATA", str(tmp_path / "cache"))
    raw = user / "mnist" / "MNIST" / "raw"
    raw.mkdir(parents=True)
    from lecture_utils.data.download import MNIST_FILES
    for name in MNIST_FILES:
        (raw / f"{name}.gz").write_bytes(gzip.compress(b"\x00" * 64))
    before = snapshot(user)
    rc, _, err = call(["data", "digits", "d", "--mnist-root", "mnist"], capsys)
    assert rc == 2 and snapshot(user) == before
    one_line_error(err, "is not an MNIST idx")
    assert not [p for p in (tmp_path / "cache").rglob("*-ubyte")]


# --- command-line leftovers: each one line naming the flag or variable, exit code 2, nothing lost -----
@pytest.fixture
def vae_weights(user):
    """A finished one-epoch VAE of the grayscale toy folder: ``user/w.pt``."""
    from lecture_utils.checkpoint import save_checkpoint
    from lecture_utils.vae.model import VAE
    save_checkpoint({"model": VAE(z_dim=4, input_c=1).state_dict(), "complete": True}, user / "w.pt")
    return user / "w.pt"


def gan_weights(path, complete=True):
    """An AnoGAN weights file (tiny G and D) as ``anogan train`` writes it, or its unfinished ``.partial``."""
    from lecture_utils.anogan import dcgan
    from lecture_utils.checkpoint import save_checkpoint
    G, D = dcgan.build(z_dim=4)
    save_checkpoint({"G": G.state_dict(), "D": D.state_dict(), "E": None, "z_dim": 4, "epoch": 1,
                     "config": {"epochs": 3}, "complete": complete}, path)
    return path


@pytest.mark.parametrize("command", ["vae", "anogan"])
@pytest.mark.parametrize("target, words", [("weights", ["--json", "is the weights file"]),
                                           ("notes.txt", ["--json", "not a report written by this command"]),
                                           ("other.json", ["--json", "not a report written by this command"])])
def test_json_never_replaces_a_file_that_is_not_our_report(user, tmp_path, capsys, vae_weights, command, target, words):
    weights = vae_weights if command == "vae" else gan_weights(user / "g.pt")
    (user / "other.json").write_text('{"results": [1, 2]}')
    json_out = weights if target == "weights" else user / target
    before = snapshot(tmp_path)
    rc, _, err = call([command, "evaluate", "--data", "toy", "--weights", weights, "--json", json_out,
                       "--iterations", "1"], capsys)
    assert rc == 2 and snapshot(tmp_path) == before
    one_line_error(err, *words)


def test_json_replaces_an_earlier_report(user, capsys):
    gan_weights(user / "g.pt")
    (user / "r.json").write_text('{"image_auroc": 0.5, "encoder_auroc": null, "n_images": 4, "iterations": 9}')
    rc, _, err = call(["anogan", "evaluate", "--data", "toy", "--weights", "g.pt", "--json", "r.json",
                       "--iterations", "1"], capsys)
    assert rc == 0, err
    assert '"iterations": 1' in (user / "r.json").read_text()


@pytest.mark.parametrize("name", ["g.pt.gan.partial", "copy.pt"])
def test_an_unfinished_gan_is_not_evaluated(user, tmp_path, capsys, name):
    gan_weights(user / name, complete=False)
    before = snapshot(tmp_path)
    rc, _, err = call(["anogan", "evaluate", "--data", "toy", "--weights", name, "--iterations", "1"], capsys)
    assert rc == 2 and snapshot(tmp_path) == before
    one_line_error(err, name, "unfinished training run (epoch 1 of 3)")


@pytest.mark.parametrize("args, words", [
    (["vae", "train", "--data", "toy", "--out", "w.pt", "--z-dim", "1000000"], ["--z-dim", "GiB of memory"]),
    (["vae", "evaluate", "--data", "toy", "--weights", "w.pt", "--sigma", "1e9"], ["--sigma", "<= 42"]),
    (["vae", "evaluate", "--data", "toy", "--weights", "w.pt", "--score-sigma", "50"], ["--score-sigma", "<= 42"]),
    (["anogan", "evaluate", "--data", "toy", "--weights", "g.pt", "--restarts", "1000000000"],
     ["--restarts", "GiB of memory"]),
])
def test_huge_sizes_are_refused_before_any_allocation(user, tmp_path, capsys, args, words):
    before = snapshot(tmp_path)
    rc, out, err = call(args, capsys)
    assert rc == 2 and out == "" and snapshot(tmp_path) == before
    one_line_error(err, "argument", *words)


def test_the_largest_sigma_allowed_still_runs(user, capsys, vae_weights):
    rc, _, err = call(["vae", "evaluate", "--data", "toy", "--weights", "w.pt", "--iterations", "1", "--reference",
                       "0", "--methods", "residual", "--sigma", "42", "--score-sigma", "42"], capsys)
    assert rc == 0, err


@pytest.mark.parametrize("value", ["maybe", "2", "enabled"])
def test_a_reduced_switch_that_is_neither_on_nor_off_is_one_line(user, tmp_path, capsys, monkeypatch, value):
    monkeypatch.setenv("LECTURE_UTILS_REDUCED", value)
    before = snapshot(tmp_path)
    rc, _, err = call(["data", "synthetic-capsule", "cap"], capsys)
    assert rc == 2 and snapshot(tmp_path) == before
    one_line_error(err, f"LECTURE_UTILS_REDUCED={value!r}", "off (0, false, no, off or empty)")
    rc, _, err = run(["data", "synthetic-capsule", "cap"], cwd=user, env_extra={"LECTURE_UTILS_REDUCED": value})
    assert rc == 2 and snapshot(tmp_path) == before
    one_line_error(err, "LECTURE_UTILS_REDUCED")


@pytest.mark.parametrize("what", ["missing", "not_mvtec", "a_file"])
def test_capsule_variable_pointing_at_no_capsule_is_one_line(user, tmp_path, monkeypatch, what):
    from lecture_utils.data import sources
    (user / "not_mvtec" / "images").mkdir(parents=True)
    monkeypatch.setenv("LECTURE_UTILS_CAPSULE", str(user / what if what != "a_file" else user / "notes.txt"))
    before = snapshot(tmp_path)
    with pytest.raises(ValueError) as e:
        sources.capsule("auto")
    message = str(e.value)
    assert "\n" not in message and message.startswith("LECTURE_UTILS_CAPSULE=")
    assert ("does not exist" if what == "missing" else "holds no train/good folder") in message
    assert snapshot(tmp_path) == before
    monkeypatch.setenv("LECTURE_UTILS_CAPSULE", str(user / "toy"))
    assert sources.capsule("auto") == (user / "toy", "env")


def test_data_variable_pointing_at_a_file_is_one_line(user, tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("LECTURE_UTILS_DATA", str(user / "notes.txt"))
    before = snapshot(tmp_path)
    rc, _, err = call(["data", "download", "mnist"], capsys)
    assert rc == 2 and snapshot(tmp_path) == before
    one_line_error(err, f"LECTURE_UTILS_DATA={user / 'notes.txt'}", "is not a usable folder")
    assert "Errno" not in err


@pytest.mark.parametrize("command", [["data", "info", "toy"],
                                     ["vae", "train", "--data", "toy", "--out", "w.pt", "--epochs", "1"]])
def test_an_image_over_the_decompression_bomb_limit_is_one_line_naming_it(user, tmp_path, capsys, monkeypatch,
                                                                          command):
    from PIL import Image
    monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", 200)       # 32 x 32 = 1024 pixels: over twice the limit
    before = snapshot(tmp_path)
    rc, _, err = call(command, capsys)
    assert rc == 2 and snapshot(tmp_path) == before
    one_line_error(err, "cannot read", "toy/", ".png", "decompression bomb")


def test_grayscale_weights_refuse_colour_images_naming_both_counts(user, tmp_path, capsys, vae_weights):
    make_folder(user / "rgb", rgb=True)
    before = snapshot(tmp_path)
    rc, _, err = call(["vae", "evaluate", "--data", "rgb", "--weights", "w.pt", "--iterations", "1"], capsys)
    assert rc == 2 and snapshot(tmp_path) == before
    one_line_error(err, "trained on 1 channel(s)", "have 3", "--channels 1")
    rc, _, err = call(["vae", "evaluate", "--data", "rgb", "--weights", "w.pt", "--iterations", "1", "--reference",
                       "0", "--methods", "residual", "--channels", "1"], capsys)
    assert rc == 0, err


@pytest.mark.parametrize("mask", [0o022, 0o077, 0o002])
def test_written_files_follow_the_umask(user, capsys, vae_weights, mask):
    old = os.umask(mask)
    try:
        rc, _, err = call(["vae", "train", "--data", "toy", "--out", "new.pt", "--epochs", "1", "--z-dim", "4"], capsys)
        assert rc == 0, err
        rc, _, err = call(["vae", "evaluate", "--data", "toy", "--weights", "w.pt", "--iterations", "1", "--reference",
                           "0", "--methods", "residual", "--json", "r.json"], capsys)
        assert rc == 0, err
    finally:
        os.umask(old)
    for name in ("new.pt", "r.json"):
        assert (user / name).stat().st_mode & 0o777 == 0o666 & ~mask, name
