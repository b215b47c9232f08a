"""checkpoint: files that are refused (by exception type, whatever torch's wording)."""
import builtins
import pickle

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
