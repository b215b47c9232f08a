"""config (the reduced switch, cache folder), checkpoint (atomic, clear errors), metrics (AUROC)."""
import numpy as np
import pytest
import torch
from torch import nn

from lecture_utils import checkpoint, config, metrics


@pytest.mark.parametrize("value, reduced", [("", False), ("0", False), ("false", False), ("Off", False), (" no ", False),
                                            ("1", True), ("yes", True), ("ON", True), ("True", True)])
def test_reduced_switch(monkeypatch, value, reduced):
    monkeypatch.setenv(config.REDUCED_ENV, value)
    assert config.is_reduced() is reduced
    assert config.pick(100, 2) == (2 if reduced else 100)


def test_data_dir_follows_the_environment(monkeypatch, tmp_path):
    monkeypatch.setenv(config.DATA_ENV, str(tmp_path / "cache"))
    assert config.data_dir() == tmp_path / "cache" and (tmp_path / "cache").is_dir()


def test_seed_everything_repeats_random_numbers():
    config.seed_everything(3)
    a = torch.randn(4), np.random.rand()
    config.seed_everything(3)
    b = torch.randn(4), np.random.rand()
    assert torch.equal(a[0], b[0]) and a[1] == b[1]


def test_checkpoint_round_trip(tmp_path):
    path = checkpoint.save_checkpoint({"epoch": 3, "model": nn.Linear(2, 2).state_dict()}, tmp_path / "sub" / "c.pt")
    assert checkpoint.load_checkpoint(path)["epoch"] == 3
    assert [p.name for p in path.parent.iterdir()] == ["c.pt"], "no temp file may be left behind"


def test_failed_write_keeps_the_previous_checkpoint(tmp_path, monkeypatch):
    path = checkpoint.save_checkpoint({"epoch": 1}, tmp_path / "c.pt")

    def crash(obj, f):
        f.write(b"half a checkpoint")
        raise KeyboardInterrupt  # e.g. Colab disconnects mid-write

    monkeypatch.setattr(torch, "save", crash)
    with pytest.raises(KeyboardInterrupt):
        checkpoint.save_checkpoint({"epoch": 2}, path)
    monkeypatch.undo()
    assert checkpoint.load_checkpoint(path)["epoch"] == 1
    assert [p.name for p in tmp_path.iterdir()] == ["c.pt"]


def test_unreadable_and_missing_checkpoints_say_so(tmp_path):
    bad = tmp_path / "bad.pt"
    bad.write_text("<html>quota exceeded</html>")
    with pytest.raises(ValueError, match="not a readable PyTorch checkpoint"):
        checkpoint.load_checkpoint(bad)
    with pytest.raises(FileNotFoundError, match="no checkpoint"):
        checkpoint.load_checkpoint(tmp_path / "missing.pt")


def test_weights_for_another_architecture_are_refused_by_name(tmp_path):
    model = nn.Sequential(nn.Linear(3, 4))
    other = nn.Sequential(nn.Linear(3, 5), nn.ReLU(), nn.Linear(5, 1)).state_dict()
    with pytest.raises(ValueError, match=r"do not fit Sequential.*unexpected \['2.bias'.*wrong shape \['0.bias'"):
        checkpoint.load_weights(model, other)


def test_weights_load_from_a_training_checkpoint(tmp_path):
    source = nn.Linear(3, 4)
    path = checkpoint.save_checkpoint({"model": source.state_dict(), "epoch": 7}, tmp_path / "c.pt")
    target = checkpoint.load_weights(nn.Linear(3, 4), path)
    assert torch.equal(target.weight, source.weight)


def test_cache_file_is_keyed_by_settings_under_the_data_dir(monkeypatch, tmp_path):
    monkeypatch.setenv("LECTURE_UTILS_DATA", str(tmp_path))
    a = checkpoint.cache_file("anogan/gan", cfg={"epochs": 8}, source="mnist")
    assert a.parent == tmp_path / "anogan" and a.name.startswith("gan-") and a.suffix == ".pt"
    assert a == checkpoint.cache_file("anogan/gan", source="mnist", cfg={"epochs": 8})  # order-free
    assert a != checkpoint.cache_file("anogan/gan", cfg={"epochs": 9}, source="mnist")


def test_auroc_known_cases():
    assert metrics.auroc([0, 0, 1, 1], [0.1, 0.2, 0.8, 0.9]) == 1.0
    assert metrics.auroc([0, 0, 1, 1], [0.9, 0.8, 0.2, 0.1]) == 0.0
    # one of the four (normal, anomaly) pairs is mis-ordered: 0.4 > 0.35
    assert metrics.auroc([0, 0, 1, 1], [0.1, 0.4, 0.35, 0.8]) == 0.75
    assert metrics.auroc(torch.tensor([1, 1]), torch.tensor([0.3, 0.5])) is None


def test_auroc_rejects_bad_input():
    with pytest.raises(ValueError, match="differ in size"):
        metrics.auroc([0, 1], [0.1, 0.2, 0.3])
    with pytest.raises(ValueError, match="NaN"):
        metrics.auroc([0, 1], [0.1, float("nan")])


class _Payload:
    """Unpickling this creates a file: what a malicious .pt could do instead."""

    def __init__(self, marker):
        self.marker = str(marker)

    def __reduce__(self):
        import builtins
        return (builtins.open, (self.marker, "w"))


def test_a_pickle_payload_is_refused_unrun(tmp_path):
    marker, path = tmp_path / "ran", tmp_path / "shared.pt"
    torch.save({"model": {"w": torch.zeros(2)}, "extra": _Payload(marker)}, path)
    with pytest.raises(ValueError, match="was not loaded: it holds Python objects .* could run code"):
        checkpoint.load_checkpoint(path)
    assert not marker.exists()
    torch.load(path, weights_only=False)          # the payload is real: an unsafe load runs it
    assert marker.exists()


def test_the_lectures_state_dict_and_our_checkpoints_load_safely(tmp_path):
    sd = nn.Linear(2, 2).state_dict()
    torch.save(sd, tmp_path / "trained_model.pt")                    # the lecture's layout: a bare state_dict
    assert checkpoint.load_checkpoint(tmp_path / "trained_model.pt").keys() == sd.keys()
    state = {"model": sd, "config": {"betas": (0.5, 0.999), "augment": "none"}, "history": [1.0, 2.0],
             "rng": torch.Generator().get_state(), "data": {"folder": "/d", "files": 3}, "complete": True}
    checkpoint.save_checkpoint(state, tmp_path / "ours.pt")
    loaded = checkpoint.load_checkpoint(tmp_path / "ours.pt")
    assert loaded["config"]["betas"] == (0.5, 0.999) and torch.equal(loaded["rng"], state["rng"])
