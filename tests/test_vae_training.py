"""Training: loss, on-device augmentation, checkpoints every N epochs, resume, NaN guard."""
import pytest
import torch
import torch.nn.functional as F

from lecture_utils.checkpoint import load_checkpoint
from lecture_utils.vae.train import VAEConfig, augment, cached_weights, train_vae, vae_loss


def images(n=4, c=1):
    return torch.rand(n, c, 128, 128, generator=torch.Generator().manual_seed(0)) * 0.8 + 0.1


def tiny(**kw):
    return VAEConfig(**{"z_dim": 4, "channels": 1, "batch_size": 2, "epochs": 2, "save_every": 1, **kw})


def test_loss_is_bce_plus_kl_and_reaches_the_target():
    x, x_hat = torch.rand(2, 1, 4, 4), torch.rand(2, 1, 4, 4) * 0.9 + 0.05
    mu, logvar = torch.randn(2, 3), torch.randn(2, 3)
    kl = -0.5 * (1 + logvar - mu ** 2 - logvar.exp()).sum()
    ref = F.binary_cross_entropy(x_hat, x, reduction="sum") + kl
    assert vae_loss(x, x_hat, mu, logvar).sum().item() == pytest.approx(ref.item(), rel=1e-5)
    x.requires_grad_(True)
    vae_loss(x, x_hat, mu, logvar).sum().backward()  # the projection differentiates w.r.t. the target
    assert x.grad is not None


def test_augment_presets():
    x = images(3, 3)
    assert torch.equal(augment(x, "none"), x)
    g = torch.Generator().manual_seed(0)
    for name in ("light", "lecture"):
        y = augment(x, name, g)
        assert y.shape == x.shape and not torch.equal(y, x)
    with pytest.raises(ValueError, match="augment must be one of"):
        augment(x, "heavy")


def test_checkpoints_and_resume(tmp_path):
    path = tmp_path / "vae.pt"
    _, h2 = train_vae(images(), tiny(), checkpoint=path, device="cpu", progress=False)
    assert load_checkpoint(path)["epoch"] == 2 and len(h2) == 2
    model, h3 = train_vae(images(), tiny(epochs=3), checkpoint=path, device="cpu", progress=False)
    assert h3[:2] == h2 and len(h3) == 3 and load_checkpoint(path)["epoch"] == 3
    assert not model.training


def test_resume_is_refused_for_other_settings(tmp_path):
    path = tmp_path / "vae.pt"
    train_vae(images(), tiny(epochs=1), checkpoint=path, device="cpu", progress=False)
    with pytest.raises(ValueError, match="other settings"):
        train_vae(images(), tiny(z_dim=8), checkpoint=path, device="cpu", progress=False)


def test_nan_stops_training_and_keeps_the_last_good_checkpoint(tmp_path):
    path = tmp_path / "vae.pt"
    train_vae(images(), tiny(epochs=1), checkpoint=path, device="cpu", progress=False)
    before = path.read_bytes()
    bad = images()
    bad[0, 0, 0, 0] = float("nan")
    with pytest.raises(FloatingPointError, match="last good checkpoint"):
        train_vae(bad, tiny(epochs=3), checkpoint=path, device="cpu", progress=False)
    assert path.read_bytes() == before


def test_cached_weights_are_keyed_by_settings():
    assert cached_weights(tiny()) != cached_weights(tiny(lr=1e-3))
    assert cached_weights(tiny()) == cached_weights(tiny(save_every=5))
    assert cached_weights(tiny(), "env", "/data/a") != cached_weights(tiny(), "env", "/data/b")
