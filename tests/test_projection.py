"""The projection x_{t+1} = x_t − α·(∇E(x_t) ⊙ (x_t − f_VAE(x_t))²): energy falls, batching changes
nothing, the gradient is the energy's, each image stops on its own."""
import pytest
import torch

from lecture_utils.vae.model import VAE
from lecture_utils.vae.projection import ProjectionConfig, energy_and_grad, project, project_all, projection_step
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
    _, grad, _ = energy_and_grad(m, x, x0, 0.05, "kl")
    h = 1e-6
    for (i, j) in [(10, 10), (64, 64), (65, 100)]:
        e = torch.zeros_like(x); e[0, 0, i, j] = h
        plus = energy_and_grad(m, x + e, x0, 0.05)[0]
        minus = energy_and_grad(m, x - e, x0, 0.05)[0]
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
    e, grad, x_hat = energy_and_grad(model, x, x, 0.0, "lecture")
    assert torch.allclose(grad, 2 * (x - x_hat), atol=1e-5)
    assert torch.allclose(e, ((x - x_hat) ** 2).sum(), rtol=1e-5)


def test_step_is_the_update_rule():
    x, g, r = torch.full((1, 1, 2, 2), 0.5), torch.ones(1, 1, 2, 2), torch.full((1, 1, 2, 2), 0.3)
    assert torch.allclose(projection_step(x, g, r, 0.5), torch.full((1, 1, 2, 2), 0.5 - 0.5 * 0.04))


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


def test_homework_checkers_accept_right_and_reject_wrong_answers(model, capsys):
    from dataclasses import replace

    from lecture_utils.vae import homework
    from lecture_utils.vae.evaluate import MethodResult
    x, cfg = defective(2), ProjectionConfig(iterations=2, lam=0.0)
    assert homework.check_vae_lambda_zero(model, x, project(model, x, cfg), cfg) is True
    assert homework.check_vae_lambda_zero(model, x, None, cfg) is None
    assert homework.check_vae_lambda_zero(model, x, project(model, x, replace(cfg, lam=0.05)),
                                          replace(cfg, lam=0.05)) is False
    assert homework.check_vae_more_iterations(None) is None
    assert homework.check_vae_more_iterations(project(model, x, cfg), min_iterations=200) is False
    assert homework.check_vae_more_iterations(project(model, x, cfg), min_iterations=2) is True
    table = {"poke": {"n": 2, "image_auroc": 0.75, "pixel_auroc": None}}
    results = {"kl": MethodResult(None, None, None, None, None, table, 0.0)}
    assert homework.check_vae_defect_auroc(results, "poke", 0.75) is True
    assert homework.check_vae_defect_auroc(results, "poke", None) is None
    assert homework.check_vae_defect_auroc(results, "poke", 0.5) is False
    assert homework.check_vae_defect_auroc(results, "crack", 0.5) is False
    assert "Correct" in capsys.readouterr().out
