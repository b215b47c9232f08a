"""The projection x_{t+1} = x_t − α·(∇E(x_t) ⊙ (x_t − f_VAE(x_t))²): energy falls, batching changes
nothing, the gradient is the energy's, each image stops on its own."""
import pytest
import torch

from lecture_utils.vae.model import VAE
from lecture_utils.vae.projection import (ProjectionConfig, energy_and_gradient, kl_energy, lecture_energy, project,
                                          project_all, step)
from lecture_utils.vae.model import vae_loss


def blobs(n, seed=0):
    g = torch.Generator().manual_seed(seed)
    yy, xx = torch.meshgrid(torch.linspace(-1, 1, 128), torch.linspace(-1, 1, 128), indexing="ij")
    c = torch.rand(n, 2, generator=g) - 0.5
    return torch.sigmoid(8 * (0.5 - ((xx - c[:, :1, None]) ** 2 + (yy - c[:, 1:, None]) ** 2).sqrt()))[:, None]


@pytest.fixture(scope="module")
def model():
    torch.manual_seed(0)
    m = VAE(z_dim=4, input_c=1)
    opt = torch.optim.Adam(m.parameters(), 1e-3)
    x = blobs(4)
    for _ in range(4):
        loss = vae_loss(x, *m(x)).sum()
        opt.zero_grad(); loss.backward(); opt.step()
    return m.eval()


def defective(n=3):
    x = blobs(n, seed=1)
    x[:, :, 60:70, 60:70] = 1 - x[:, :, 60:70, 60:70]  # a square defect
    return x


@pytest.mark.parametrize("energy", ["paper", "kl", "lecture"])
def test_energy_falls(model, energy):
    r = project(model, defective(), ProjectionConfig(iterations=5, alpha=0.5, lam=0.05, energy=energy))
    assert r.energies.shape == (6, 3)
    assert (r.energies[-1] < r.energies[0]).all()
    assert (r.x >= 0).all() and (r.x <= 1).all()


def test_batched_and_per_image_agree(model):
    x, cfg = defective(), ProjectionConfig(iterations=4)
    batched = project(model, x, cfg)
    single = torch.cat([project(model, x[i:i + 1], cfg).x for i in range(len(x))])
    assert torch.allclose(batched.x, single, atol=1e-5)
    assert torch.allclose(project_all(model, x, cfg, batch_size=2, progress=False).x, batched.x, atol=1e-5)


def test_gradient_matches_finite_differences(model):
    m = VAE(z_dim=4, input_c=1).double()
    m.load_state_dict(model.state_dict())
    m.eval()
    x0 = defective(1).double()
    x = (x0 * 0.9 + 0.05).clone()
    _, grad, _ = energy_and_gradient(kl_energy, m, x, x0, 0.05)
    h = 1e-6
    for (i, j) in [(10, 10), (64, 64), (65, 100)]:
        e = torch.zeros_like(x); e[0, 0, i, j] = h
        plus = energy_and_gradient(kl_energy, m, x + e, x0, 0.05)[0]
        minus = energy_and_gradient(kl_energy, m, x - e, x0, 0.05)[0]
        assert torch.allclose((plus - minus) / (2 * h), grad[0, 0, i, j], rtol=1e-4, atol=1e-6)


def test_kl_energy_is_zero_and_flat_at_a_perfect_reconstruction():
    from lecture_utils.vae.projection import entropy
    from lecture_utils.vae.model import vae_loss
    x_hat = torch.rand(2, 3, 8, 8) * 0.8 + 0.1
    mu = logvar = torch.zeros(2, 4)                           # KL(q(z|x) || N(0, I)) = 0
    x = x_hat.clone().requires_grad_(True)
    divergence = vae_loss(x, x_hat, mu, logvar) - entropy(x)  # sum over pixels of KL(x || x_hat)
    divergence.sum().backward()
    assert divergence.abs().max() < 1e-3 and x.grad.abs().max() < 1e-3
    x_bce = x_hat.clone().requires_grad_(True)
    vae_loss(x_bce, x_hat, mu, logvar).sum().backward()       # the BCE alone: d/dx = -logit(x_hat)
    torch.testing.assert_close(x_bce.grad, -torch.logit(x_hat))


def test_lecture_energy_treats_the_reconstruction_as_constant(model):
    x = defective(1)
    e, grad, x_hat = energy_and_gradient(lecture_energy, model, x, x, 0.0)
    assert torch.allclose(grad, 2 * (x - x_hat), atol=1e-5)
    assert torch.allclose(e, ((x - x_hat) ** 2).sum(), rtol=1e-5)


def test_step_is_the_update_rule():
    x, g, r = torch.full((1, 1, 2, 2), 0.5), torch.ones(1, 1, 2, 2), torch.full((1, 1, 2, 2), 0.3)
    assert torch.allclose(step(x, g, r, 0.5), torch.full((1, 1, 2, 2), 0.5 - 0.5 * 0.04))


def test_each_image_stops_on_its_own(model):
    x = defective(3)
    e0 = project(model, x, ProjectionConfig(iterations=0)).energies[0]
    stop = float(e0.sort().values[1]) + 1e-3  # two images are already below: they never move
    r = project(model, x, ProjectionConfig(iterations=3, stop_energy=stop), record=True)
    still = e0 <= stop
    assert (r.steps[still] == 0).all() and (r.steps[~still] > 0).all()
    assert torch.equal(r.x[still], x[still])
    assert len(r.trajectory) == 1 + int(r.steps.max())


def test_unknown_energy_is_refused(model):
    with pytest.raises(ValueError, match="energy"):
        project(model, defective(1), ProjectionConfig(iterations=1, energy="mse"))


def test_pixel_auroc_by_iteration_follows_the_projection(model):
    from dataclasses import replace
    from lecture_utils.data.mvtec import ImageSet
    from lecture_utils.vae.evaluate import EvalConfig, evaluate_method, pixel_auroc_by_iteration
    x = torch.cat([blobs(2, seed=3), defective(3)])
    masks = torch.zeros_like(x)
    masks[2:, :, 60:70, 60:70] = 1
    test = ImageSet(x, torch.tensor([0, 0, 1, 1, 1]), masks, ["good"] * 2 + ["square"] * 3, ["p"] * 5, True)
    config = EvalConfig(projection=ProjectionConfig(iterations=3), reference=0, batch_size=2)
    by_t = pixel_auroc_by_iteration(model, test, [6, 0, 3, 1, 3], config)
    assert list(by_t) == [0, 1, 3, 6] and by_t[0] == 0.5                 # t = 0: x_t = x_0, every pixel ties
    assert by_t[3] == pytest.approx(evaluate_method(model, test, "kl", config, progress=False).pixel_auroc)
    assert by_t[1] != by_t[3] != by_t[6]                                  # the map follows x_t as it moves
    stopped = replace(config, projection=replace(config.projection, stop_energy=1e9))   # every image stops at t = 0
    assert set(pixel_auroc_by_iteration(model, test, [0, 2], stopped).values()) == {0.5}
