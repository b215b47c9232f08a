"""The lecture's VAE: its published state_dict loads strictly; forward returns (x_hat, mu, logvar)."""
import pytest
import torch

from lecture_utils.checkpoint import load_weights, save_checkpoint
from lecture_utils.vae.model import VAE

# The lecture's layers (MPRG "繰り返し処理による異常検知"): Sequential index -> (out, in, kernel)
LECTURE_ENCODER = {0: (32, "c", 4), 2: (32, 32, 4), 4: (32, 32, 3), 6: (64, 32, 4), 8: (64, 64, 3),
                   10: (128, 64, 4), 12: (64, 128, 3), 14: (32, 64, 3), 16: ("z", 32, 8)}
LECTURE_DECODER = {1: (32, "z", 3), 3: (64, 32, 3), 5: (128, 64, 3), 8: (64, 128, 3), 10: (64, 64, 3),
                   13: (32, 64, 3), 15: (32, 32, 3), 18: (32, 32, 3), 21: ("c", 32, 3)}


def lecture_state_dict(z=100, c=3):
    """A state_dict with exactly the keys and shapes of the lecture's trained_model.pt."""
    sd = {}
    for part, layers in (("encoder", LECTURE_ENCODER), ("decoder", LECTURE_DECODER)):
        for i, (o, n, k) in layers.items():
            o, n = {"z": z, "c": c}.get(o, o), {"z": z, "c": c}.get(n, n)
            sd[f"{part}.{i}.weight"], sd[f"{part}.{i}.bias"] = torch.randn(o, n, k, k), torch.randn(o)
    for fc in ("mu_fc", "logvar_fc"):
        sd[f"{fc}.weight"], sd[f"{fc}.bias"] = torch.randn(z, z), torch.randn(z)
    return sd


def test_lecture_weights_load_strictly(tmp_path):
    sd = lecture_state_dict()
    model = VAE()
    model.load_state_dict(sd, strict=True)
    assert set(model.state_dict()) == set(sd)
    torch.save(sd, tmp_path / "trained_model.pt")  # the lecture saved a bare state_dict
    load_weights(VAE(), tmp_path / "trained_model.pt")


def test_weights_of_another_architecture_are_refused_clearly(tmp_path):
    path = save_checkpoint({"model": lecture_state_dict(z=16)}, tmp_path / "w.pt")
    with pytest.raises(ValueError, match="do not fit VAE"):
        load_weights(VAE(z_dim=100), path)


@pytest.mark.parametrize("c", [1, 3])
def test_forward_shapes(c):
    model = VAE(z_dim=8, input_c=c)
    x_hat, mu, logvar = model(torch.rand(2, c, 128, 128))
    assert x_hat.shape == (2, c, 128, 128) and mu.shape == logvar.shape == (2, 8)
    assert 0 <= x_hat.min() and x_hat.max() <= 1


def test_eval_uses_mu_unless_sampling_is_asked():
    model = VAE(z_dim=8).eval()
    x = torch.rand(2, 3, 128, 128)
    with torch.no_grad():
        a, mu, _ = model(x)
        b, _, _ = model(x)
        s, _, _ = model(x, sample=True)
        assert torch.equal(a, b) and torch.allclose(a, model.decode(mu))
        assert not torch.allclose(a, s)


def test_wrong_input_size_is_a_clear_error():
    with pytest.raises(ValueError, match="128, 128"):
        VAE(z_dim=8)(torch.rand(1, 3, 64, 64))
