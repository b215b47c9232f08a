"""Training: loss, on-device augmentation, checkpoints every N epochs, resume, NaN guard."""
import pytest
import torch
import torch.nn.functional as F

from lecture_utils.checkpoint import load_checkpoint
from lecture_utils.vae.model import vae_loss
from lecture_utils.vae.train import VAEConfig, augment, cached_weights, train_vae


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
    assert sorted(p.name for p in tmp_path.iterdir()) == ["vae.pt"], "the partial file is removed after success"
    model, h3 = train_vae(images(), tiny(epochs=3), checkpoint=path, device="cpu", progress=False)
    assert h3[:2] == h2 and len(h3) == 3 and load_checkpoint(path)["epoch"] == 3
    assert not model.training
    before = path.read_bytes()
    _, again = train_vae(images(), tiny(epochs=3), checkpoint=path, device="cpu", progress=False)
    assert again == h3 and path.read_bytes() == before            # finished: returned as is


def test_progress_never_carries_the_final_name(tmp_path, monkeypatch):
    from lecture_utils.vae import train as vt
    path, seen = tmp_path / "vae.pt", []
    real = vt.train_epoch
    monkeypatch.setattr(vt, "train_epoch", lambda *a: seen.append(sorted(p.name for p in tmp_path.iterdir()))
                        or real(*a))
    train_vae(images(), tiny(epochs=3), checkpoint=path, device="cpu", progress=False)
    assert seen == [["vae.pt.partial"]] * 3 and load_checkpoint(path)["complete"] is True


def test_resume_is_refused_for_other_settings_data_or_fewer_epochs(tmp_path):
    path = tmp_path / "vae.pt"
    train_vae(images(), tiny(epochs=2), checkpoint=path, device="cpu", progress=False)
    with pytest.raises(ValueError, match="other settings.*z_dim: 4 there, 8 now"):
        train_vae(images(), tiny(z_dim=8), checkpoint=path, device="cpu", progress=False)
    with pytest.raises(ValueError, match="data fingerprint"):
        train_vae(images() * 0.5, tiny(), checkpoint=path, device="cpu", progress=False)
    with pytest.raises(ValueError, match="already holds 2 epochs, more than the 1 asked for"):
        train_vae(images(), tiny(epochs=1), checkpoint=path, device="cpu", progress=False)
    _, h = train_vae(images() * 0.5, tiny(epochs=1), checkpoint=path, device="cpu", progress=False, fresh=True)
    assert len(h) == 1 and load_checkpoint(path)["epoch"] == 1


def test_a_file_that_is_not_our_checkpoint_is_never_overwritten(tmp_path):
    import torch
    path = tmp_path / "vae.pt"
    torch.save({"weights": torch.zeros(2)}, path)
    before = path.read_bytes()
    for fresh in (False, True):
        with pytest.raises(ValueError, match="not a checkpoint written by train_vae"):
            train_vae(images(), tiny(), checkpoint=path, device="cpu", progress=False, fresh=fresh)
    assert path.read_bytes() == before


def test_nan_stops_training_and_keeps_the_last_finite_weights(tmp_path):
    path = tmp_path / "vae.pt"
    bad = images()
    bad[0, 0, 0, 0] = float("nan")
    with pytest.raises(FloatingPointError, match=r"last finite weights \(epoch 0\) are in .*vae.pt.partial"):
        train_vae(bad, tiny(epochs=3), checkpoint=path, device="cpu", progress=False)
    assert not path.exists()
    state = load_checkpoint(tmp_path / "vae.pt.partial")
    assert state["epoch"] == 0 and all(torch.isfinite(v).all() for v in state["model"].values())


def test_ctrl_c_says_where_the_checkpoint_is_and_resume_continues(tmp_path, monkeypatch, interrupt_at):
    from lecture_utils.vae import train as vt
    path = tmp_path / "vae.pt"
    monkeypatch.setattr(vt, "train_epoch", interrupt_at(3, vt.train_epoch))
    with pytest.raises(KeyboardInterrupt, match=r"epoch 3; the last checkpoint \(epoch 2\) is .*vae.pt.partial"):
        train_vae(images(), tiny(epochs=4), checkpoint=path, device="cpu", progress=False)
    assert not path.exists() and load_checkpoint(tmp_path / "vae.pt.partial")["complete"] is False
    monkeypatch.undo()
    _, h = train_vae(images(), tiny(epochs=4), checkpoint=path, device="cpu", progress=False)
    assert len(h) == 4 and not (tmp_path / "vae.pt.partial").exists()


def test_checkpoints_load_with_weights_only(tmp_path):
    path = tmp_path / "vae.pt"
    train_vae(images(), tiny(epochs=1), checkpoint=path, device="cpu", progress=False)
    state = torch.load(path, weights_only=True)
    assert state["epoch"] == 1 and state["data"]["shape"] == [4, 1, 128, 128]


def test_cached_weights_are_keyed_by_settings():
    assert cached_weights(tiny()) != cached_weights(tiny(lr=1e-3))
    assert cached_weights(tiny()) == cached_weights(tiny(save_every=5))
    assert cached_weights(tiny(), "env", "/data/a") != cached_weights(tiny(), "env", "/data/b")


def loss_clamped_after_the_log(x, x_hat, mu, logvar):
    """BCE + KL with each log taken first and clamped at -100 afterwards: vae_loss's values, but its
    backward multiplies 0 by the infinite derivative of log at x_hat = 0 or 1."""
    log_p, log_1mp = torch.log(x_hat).clamp(min=-100), torch.log1p(-x_hat).clamp(min=-100)
    return -(x * log_p + (1 - x) * log_1mp).flatten(1).sum(1) - 0.5 * (1 + logvar - mu ** 2 - logvar.exp()).sum(1)


def test_loss_inside_0_1_is_unchanged():
    g = torch.Generator().manual_seed(1)
    x, x_hat = torch.rand(3, 2, 8, 8, generator=g), torch.rand(3, 2, 8, 8, generator=g).clamp(1e-7, 1 - 1e-7)
    x_hat[0, 0, 0, :3] = torch.tensor([1e-40, 1e-44, 1 - 2 ** -24])  # deep in the clamp, and next to 1
    mu, logvar = torch.randn(3, 5, generator=g), torch.randn(3, 5, generator=g)
    assert torch.equal(vae_loss(x, x_hat, mu, logvar), loss_clamped_after_the_log(x, x_hat, mu, logvar))


def test_saturated_reconstructions_give_finite_loss_and_gradients():
    x = torch.tensor([0.0, 1.0, 0.3, 0.0, 1.0, 0.7]).view(1, 1, 2, 3).requires_grad_(True)
    x_hat = torch.tensor([0.0, 0.0, 0.0, 1.0, 1.0, 1.0]).view(1, 1, 2, 3).requires_grad_(True)
    mu, logvar = torch.zeros(1, 2), torch.zeros(1, 2)
    loss = vae_loss(x, x_hat, mu, logvar)
    ref = F.binary_cross_entropy(x_hat.detach(), x.detach(), reduction="sum")   # clamps logs at -100 too
    assert loss.item() == pytest.approx(ref.item(), rel=1e-6)
    assert torch.isnan(loss_clamped_after_the_log(x, x_hat, mu, logvar).sum().backward() or x_hat.grad).any()  # 0 * inf
    x.grad = x_hat.grad = None
    loss.sum().backward()
    assert torch.isfinite(x_hat.grad).all() and torch.isfinite(x.grad).all()
    # d/dx of the BCE is log(1 - x_hat) - log(x_hat): +-100 where saturated, what the projection follows
    assert x.grad.flatten().tolist() == pytest.approx([100.0, 100.0, 100.0, -100.0, -100.0, -100.0])


def test_training_through_a_saturated_decoder_stays_finite(tmp_path):
    """A decoder whose sigmoid outputs exactly 0 and 1 (huge final bias/weights) trains without NaN."""
    from lecture_utils.vae.train import make_model, make_optimizer, train_step
    config = tiny()
    model = make_model(config, "cpu")
    last = model.decoder[-2]
    with torch.no_grad():
        last.bias.fill_(0.0)
        last.weight.mul_(1e4)                        # logits of +-1e3: sigmoid is exactly 0 or 1
    x = images()
    x_hat = model(x)[0]
    assert ((x_hat == 0) | (x_hat == 1)).float().mean() > 0.5
    train_step(model, make_optimizer(model, config), x)
    assert all(torch.isfinite(p).all() for p in model.parameters())


def test_the_format_and_cache_names_are_those_in_users_caches(tmp_path, monkeypatch):
    """Weights trained before the Checkpointer still resume: the same keys, the same cache names."""
    path = tmp_path / "vae.pt"
    train_vae(images(), tiny(epochs=1), checkpoint=path, device="cpu", progress=False)
    assert set(load_checkpoint(path)) == {"model", "optimizer", "config", "epoch", "history", "rng", "data", "complete"}
    monkeypatch.setenv("LECTURE_UTILS_DATA", str(tmp_path))
    assert cached_weights(VAEConfig(epochs=100)).name == "vae_capsule_100ep-44f8b255e9.pt"   # checkpoint.FORMAT 2
