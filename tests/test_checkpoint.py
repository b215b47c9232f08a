"""checkpoint: files that are refused (by exception type, whatever torch's wording), and the Checkpointer
that both trainers use (resume identity, partial files, NaN, Ctrl-C)."""
import builtins
import pickle
from dataclasses import dataclass

import pytest
import torch
from torch import nn

from lecture_utils import checkpoint


class Payload:
    """Unpickling this creates the file ``marker``: what a malicious .pt could do instead."""

    def __init__(self, marker):
        self.marker = str(marker)

    def __reduce__(self):
        return (builtins.open, (self.marker, "w"))


@pytest.mark.parametrize("legacy", [False, True])
def test_a_payload_is_refused_unrun_in_either_torch_format(tmp_path, legacy):
    marker, path = tmp_path / "ran", tmp_path / "shared.pt"
    torch.save({"model": {"w": torch.zeros(2)}, "extra": Payload(marker)}, path,
               _use_new_zipfile_serialization=not legacy)
    # the zip format (torch.save's since 1.6) is read statically and the global named; the legacy
    # format cannot be read that way: refused as unreadable
    words = "not a readable PyTorch checkpoint" if legacy else r"could run code \(\S*open\)"
    with pytest.raises(ValueError, match=words):
        checkpoint.load_checkpoint(path)
    assert not marker.exists()


@pytest.mark.parametrize("error", [pickle.UnpicklingError, RuntimeError])
def test_torchs_wording_does_not_decide(tmp_path, monkeypatch, error):
    path = checkpoint.save_checkpoint({"w": torch.zeros(2)}, tmp_path / "plain.pt")   # holds no code

    def refusing(*args, **kwargs):
        raise error("Unsupported global: GLOBAL builtins.open was not an allowed global by default")
    monkeypatch.setattr(torch, "load", refusing)
    with pytest.raises(ValueError, match=rf"not a readable PyTorch checkpoint \({error.__name__}") as e:
        checkpoint.load_checkpoint(path)
    assert "could run code" not in str(e.value)


@pytest.mark.parametrize("damage, error", [(lambda b: b[: len(b) // 2], "RuntimeError"), (lambda b: b"", "EOFError"),
                                           (lambda b: b"<html>quota exceeded</html>", "UnpicklingError")])
def test_damaged_files_say_what_failed_in_one_line(tmp_path, damage, error):
    path = checkpoint.save_checkpoint({"model": nn.Linear(2, 2).state_dict()}, tmp_path / "c.pt")
    path.write_bytes(damage(path.read_bytes()))
    with pytest.raises(ValueError, match=rf"c.pt is not a readable PyTorch checkpoint \({error}") as e:
        checkpoint.load_checkpoint(path)
    assert "\n" not in str(e.value) and "weights_only=False" not in str(e.value)   # never advice to load unsafely


# --- the Checkpointer: one toy training loop written as train_vae and train_gan are -------------------
@dataclass
class Toy:
    epochs: int = 3
    lr: float = 0.1
    every: int = 1


X, Y = torch.linspace(-1, 1, 8).view(8, 1).repeat(1, 2), torch.linspace(0, 2, 8).view(8, 1)


def toy_step(model, optimizer) -> float:
    """One full-batch SGD step (deterministic: an interrupted and resumed run equals an uninterrupted one)."""
    loss = (model(X) - Y).pow(2).mean()
    if not torch.isfinite(loss):
        raise FloatingPointError("toy loss became NaN/inf")
    optimizer.zero_grad()
    loss.backward()
    optimizer.step()
    return loss.item()


def toy_train(path, config=None, data=None, fresh=False, step=toy_step):
    """The loop the trainers share: (model, history, run)."""
    config = config or Toy()
    model = nn.Linear(2, 1)
    with torch.no_grad():
        model.weight.fill_(0.5), model.bias.fill_(0.0)
    optimizer = torch.optim.SGD(model.parameters(), lr=config.lr, momentum=0.9)
    run = checkpoint.Checkpointer(path, config, data or {"fingerprint": "a"}, "toy", "toy_train",
                                  free=("epochs", "every"), every=config.every)
    history = run.start({"model": model, "optimizer": optimizer}, [], fresh)
    with run.guard():
        for _ in run.epochs():
            history.append(step(model, optimizer))
    return model, history, run


def files(folder) -> list[str]:
    return sorted(p.name for p in folder.iterdir())


def test_a_resume_needs_the_same_settings_and_data_and_says_so(tmp_path, capsys):
    path = tmp_path / "toy.pt"
    _, first, _ = toy_train(path, Toy(epochs=2))
    model, history, _ = toy_train(path, Toy(epochs=4, every=2))        # more epochs, other save_every: free
    assert history[:2] == first and len(history) == 4
    assert f"toy: continuing from epoch 2 of 4 ({path})" in capsys.readouterr().out
    whole, _, _ = toy_train(tmp_path / "whole.pt", Toy(epochs=4))
    assert torch.equal(model.weight, whole.weight)                      # as if never stopped
    with pytest.raises(checkpoint.ResumeError, match=r"toy.pt was trained with other settings or data "
                                                     r"\(setting lr: 0.1 there, 0.2 now\)"):
        toy_train(path, Toy(epochs=4, lr=0.2))
    with pytest.raises(checkpoint.ResumeError, match="data fingerprint: 'a' there, 'b' now"):
        toy_train(path, Toy(epochs=4), data={"fingerprint": "b"})
    with pytest.raises(checkpoint.ResumeError, match="already holds 4 epochs, more than the 3 asked for"):
        toy_train(path, Toy(epochs=3))
    _, fresh, _ = toy_train(path, Toy(epochs=1, lr=0.2), data={"fingerprint": "b"}, fresh=True)
    assert len(fresh) == 1 and checkpoint.load_checkpoint(path)["data"] == {"fingerprint": "b"}


def test_a_finished_run_is_loaded_as_it_is(tmp_path, capsys):
    path = tmp_path / "toy.pt"
    trained, history, run = toy_train(path)
    assert run.trained and files(tmp_path) == ["toy.pt"]
    before = path.read_bytes()
    again, loaded, run = toy_train(path, step=lambda *a: pytest.fail("a finished run trains no epoch"))
    assert loaded == history and torch.equal(again.weight, trained.weight) and not run.trained
    assert path.read_bytes() == before
    assert capsys.readouterr().out.endswith(f"toy: already trained with these settings and data (3 epochs), "
                                            f"loaded from {path}\n")


def test_progress_never_carries_the_final_name(tmp_path):
    path, seen = tmp_path / "toy.pt", []

    def watching(model, optimizer):
        seen.append(files(tmp_path))
        return toy_step(model, optimizer)
    toy_train(path, Toy(epochs=3), step=watching)
    assert seen == [["toy.pt.partial"]] * 3 and files(tmp_path) == ["toy.pt"]
    state = checkpoint.load_checkpoint(path)
    assert state["complete"] is True and state["epoch"] == 3
    assert set(state) == {"model", "optimizer", "epoch", "history", "config", "data", "complete"}  # the format


def test_a_crash_between_saves_loses_only_the_epochs_since_the_last(tmp_path):
    path, steps = tmp_path / "toy.pt", []

    def crashing(model, optimizer):
        steps.append(1)
        if len(steps) == 4:
            raise RuntimeError("the runtime disconnected")          # not a stop the guard explains
        return toy_step(model, optimizer)
    with pytest.raises(RuntimeError, match="disconnected"):
        toy_train(path, Toy(epochs=5, every=2), step=crashing)
    state = checkpoint.load_checkpoint(tmp_path / "toy.pt.partial")
    assert files(tmp_path) == ["toy.pt.partial"] and state["epoch"] == 2 and state["complete"] is False
    model, history, _ = toy_train(path, Toy(epochs=5, every=2))
    whole, expected, _ = toy_train(tmp_path / "whole.pt", Toy(epochs=5, every=2))
    assert history == expected and torch.equal(model.weight, whole.weight) and files(tmp_path) == ["toy.pt", "whole.pt"]


def test_nan_keeps_the_last_finite_weights(tmp_path):
    path, steps = tmp_path / "toy.pt", []

    def diverging(model, optimizer):
        steps.append(1)
        if len(steps) == 3:
            with torch.no_grad():
                model.bias.fill_(float("nan"))
        return toy_step(model, optimizer)
    with pytest.raises(FloatingPointError, match=r"^toy loss became NaN/inf in epoch 3; the last finite weights "
                                                 r"\(epoch 2\) are in \S*toy.pt.partial$"):
        toy_train(path, step=diverging)
    saved = checkpoint.load_checkpoint(tmp_path / "toy.pt.partial")
    after_two, _, _ = toy_train(tmp_path / "two.pt", Toy(epochs=2))
    assert saved["epoch"] == 2 and torch.equal(saved["model"]["weight"], after_two.weight)


def test_weights_that_are_not_finite_are_never_saved(tmp_path):
    def poisoning(model, optimizer):                 # a finite loss, then weights that are not
        loss = toy_step(model, optimizer)
        with torch.no_grad():
            model.weight[0, 0] = float("inf")
        return loss
    with pytest.raises(FloatingPointError, match=r"toy model's parameter weight holds NaN/inf in epoch 1; "
                                                 r"the last finite weights \(epoch 0\)"):
        toy_train(tmp_path / "toy.pt", step=poisoning)
    assert checkpoint.load_checkpoint(tmp_path / "toy.pt.partial")["model"]["weight"].isfinite().all()


def test_ctrl_c_names_the_last_checkpoint(tmp_path, interrupt_at):
    path = tmp_path / "toy.pt"
    with pytest.raises(KeyboardInterrupt) as stop:
        toy_train(path, Toy(epochs=4), step=interrupt_at(3, toy_step))
    assert str(stop.value) == (f"toy training stopped in epoch 3; the last checkpoint (epoch 2) is {path}.partial: "
                               "run the same cell or command again to resume")
    _, history, _ = toy_train(path, Toy(epochs=4))
    assert len(history) == 4 and files(tmp_path) == ["toy.pt"]


def test_ctrl_c_before_the_first_checkpoint_and_without_checkpoints(tmp_path, monkeypatch, interrupt_at):
    monkeypatch.setattr(checkpoint, "save_checkpoint", interrupt_at(1, checkpoint.save_checkpoint))
    with pytest.raises(KeyboardInterrupt, match="^toy training stopped before its first checkpoint was written"):
        toy_train(tmp_path / "toy.pt")
    assert files(tmp_path) == []
    with pytest.raises(KeyboardInterrupt) as stop:             # nothing saved: Ctrl-C as it is
        toy_train(None, step=interrupt_at(2, toy_step))
    assert str(stop.value) == "" and files(tmp_path) == []


@pytest.mark.parametrize("name", ["toy.pt", "toy.pt.partial"])
@pytest.mark.parametrize("content", [b"my notes", b"torch"])
def test_a_file_that_is_not_ours_is_never_overwritten(tmp_path, name, content):
    if content == b"torch":
        torch.save({"weights": torch.zeros(2)}, tmp_path / name)
    else:
        (tmp_path / name).write_bytes(content)
    before = (tmp_path / name).read_bytes()
    for fresh in (False, True):
        with pytest.raises(checkpoint.ResumeError, match=f"{name} exists and is not a checkpoint written by toy_train"):
            toy_train(tmp_path / "toy.pt", fresh=fresh)
    assert files(tmp_path) == [name] and (tmp_path / name).read_bytes() == before


def test_a_finished_run_left_in_the_partial_file_gets_the_final_name(tmp_path, interrupt_at):
    path = tmp_path / "toy.pt"
    with pytest.raises(KeyboardInterrupt):
        toy_train(path, Toy(epochs=5), step=interrupt_at(4, toy_step))    # stopped after 3 of 5
    model, history, _ = toy_train(path, Toy(epochs=3))                     # then 3 are enough
    assert len(history) == 3 and files(tmp_path) == ["toy.pt"]
    state = checkpoint.load_checkpoint(path)
    assert state["complete"] is True and torch.equal(state["model"]["weight"], model.weight)


def test_random_generators_are_saved_and_restored(tmp_path):
    gen = torch.Generator().manual_seed(3)
    run = checkpoint.Checkpointer(tmp_path / "g.pt", Toy(epochs=1), None, "toy", "toy_train")
    run.start({"rng": gen}, [])
    for _ in run.epochs():
        torch.rand(2, generator=gen)
    expected = torch.rand(2, generator=gen)
    restored = torch.Generator().manual_seed(0)
    checkpoint.Checkpointer(tmp_path / "g.pt", Toy(epochs=1), None, "toy", "toy_train").start({"rng": restored}, [])
    assert torch.equal(torch.rand(2, generator=restored), expected)
