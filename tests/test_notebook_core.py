"""The algorithms written out in the notebooks (cells marked ``# core: NAME`` in notebooks/src) give
the same numbers as the package's batched, tested functions, so the two cannot drift apart."""
import copy
import inspect
import sys
from pathlib import Path

import pytest
import torch

from lecture_utils.anogan import dcgan, score, search
from lecture_utils.anogan import train as gan_train
from lecture_utils.vae import projection as pj
from lecture_utils.vae.model import VAE

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "notebooks"))
import build  # noqa: E402


def core_cells(name: str) -> dict[str, str]:
    """{NAME: code} of the cells whose first line is ``# core: NAME`` in notebooks/src/<name>.py."""
    cells = build.parse((ROOT / "notebooks" / "src" / f"{name}.py").read_text(encoding="utf-8"))
    return {text.splitlines()[0].split(":", 1)[1].strip(): text
            for kind, _, text in cells if kind == "code" and text.startswith("# core:")}


def run_cells(name: str, *wanted: str) -> dict:
    """Exec the wanted core cells in one namespace."""
    cells = core_cells(name)
    missing = set(wanted) - set(cells)
    assert not missing, f"no '# core: ...' cell for {sorted(missing)} in notebooks/src/{name}.py"
    ns = {"torch": torch, "__name__": "notebook"}
    for key in wanted:
        exec(compile(cells[key], f"{name}.py: core {key}", "exec"), ns)
    return ns


# Lecture 1: energies, gradient, step and loop --------------------------------------------------

LECTURE_1 = "01_vae_iterative_projection"


@pytest.fixture(scope="module")
def vae_setup():
    torch.manual_seed(0)
    model = VAE(z_dim=4, input_c=1).eval()
    g = torch.Generator().manual_seed(1)
    x_0 = torch.rand(3, 1, 128, 128, generator=g) * 0.8 + 0.1
    x_t = (x_0 + 0.05 * torch.randn(3, 1, 128, 128, generator=g)).clamp(0, 1)
    return model, x_0, x_t


CORE_1 = ("kl_energy", "lecture_energy", "step", "project")     # every lecture-1 core cell, in notebook order


def test_every_notebook_function_has_the_packages_name_and_signature():
    ns = run_cells(LECTURE_1, *CORE_1)
    mine = {name: fn for name, fn in ns.items() if inspect.isfunction(fn) and fn.__module__ == "notebook"}
    assert set(mine) == {"paper_energy", "kl_energy", "lecture_energy", "energy_and_gradient", "step", "project"}
    for name, fn in mine.items():
        assert parameters(fn) == parameters(getattr(pj, name)), name
    assert ns["ENERGIES"].keys() == pj.ENERGIES.keys()
    assert all(ns["ENERGIES"][key] is ns[f"{key}_energy"] for key in ns["ENERGIES"])


def parameters(fn) -> list:
    return [(p.name, p.default) for p in inspect.signature(fn).parameters.values()]


@pytest.mark.parametrize("energy", ["paper", "kl", "lecture"])
def test_notebook_energy_and_gradient_equal_the_package(vae_setup, energy):
    model, x_0, x_t = vae_setup
    ns = run_cells(LECTURE_1, "kl_energy", "lecture_energy", "step")
    name = f"{energy}_energy"
    e, x_hat = ns[name](model, x_t, x_0, 0.05)
    e_ref, x_hat_ref = getattr(pj, name)(model, x_t, x_0, 0.05)
    torch.testing.assert_close(e, e_ref)
    torch.testing.assert_close(x_hat, x_hat_ref)
    got = ns["energy_and_gradient"](ns[name], model, x_t, x_0, 0.05)
    for a, b in zip(got, pj.energy_and_gradient(getattr(pj, name), model, x_t, x_0, 0.05)):
        torch.testing.assert_close(a, b)
    assert got[1].abs().sum() > 0


def test_notebook_step_equals_the_package(vae_setup):
    model, x_0, x_t = vae_setup
    ns = run_cells(LECTURE_1, "step")
    _, grad, x_hat = pj.energy_and_gradient(pj.kl_energy, model, x_t, x_0, 0.05)
    torch.testing.assert_close(ns["step"](x_t, grad, x_hat, 0.5), pj.step(x_t, grad, x_hat, 0.5))


@pytest.mark.parametrize("energy", ["kl", "lecture"])
def test_notebook_project_equals_the_package(vae_setup, energy):
    model, x_0, _ = vae_setup
    ns = run_cells(LECTURE_1, *CORE_1)
    config = pj.ProjectionConfig(iterations=3, alpha=0.5, lam=0.05, energy=energy)
    mine, ref = ns["project"](model, x_0, config, record=True), pj.project(model, x_0, config, record=True)
    torch.testing.assert_close(mine.x, ref.x)
    torch.testing.assert_close(mine.energies, ref.energies)
    assert len(mine.trajectory) == len(ref.trajectory) == 4
    for a, b in zip(mine.trajectory, ref.trajectory):
        torch.testing.assert_close(a, b)
    assert not torch.equal(mine.x, x_0)  # the loop moved the images
    assert ns["project"](model, x_0, config).trajectory is None


def test_notebook_project_uses_the_energy_in_its_energies(vae_setup):
    """A student's edited energy is the one the loop uses: ``project`` looks ``config.energy`` up in
    the notebook's ``ENERGIES`` at each call."""
    model, x_0, _ = vae_setup
    ns = run_cells(LECTURE_1, *CORE_1)
    calls = []

    def counted(*args):
        calls.append(1)
        return ns["kl_energy"](*args)

    ns["ENERGIES"]["kl"] = counted
    ns["project"](model, x_0, pj.ProjectionConfig(iterations=2))
    assert len(calls) == 3


def test_notebook_loop_and_project_differ_by_rounding_only():
    """Section 5 prints how far its loop's x_T is from ``project``'s (float32: up to ~1e-3 after 100
    steps through a trained VAE); in float64 the same 50 steps agree to the last digits."""
    torch.manual_seed(0)
    model = VAE(z_dim=4, input_c=1).double().eval()
    x_0 = (torch.rand(2, 1, 128, 128, generator=torch.Generator().manual_seed(1), dtype=torch.float64) * 0.8 + 0.1)
    ns = run_cells(LECTURE_1, *CORE_1)
    config = pj.ProjectionConfig(iterations=50, alpha=0.5, lam=0.05)
    mine, ref = ns["project"](model, x_0, config), pj.project(model, x_0, config)
    assert ref.x.dtype == ref.energies.dtype == torch.float64
    assert (mine.x - ref.x).abs().max() < 1e-12 and (mine.x - x_0).abs().max() > 1e-3


@pytest.mark.parametrize("model_device", ["cpu", pytest.param("cuda", marks=pytest.mark.skipif(
    not torch.cuda.is_available(), reason="needs a GPU"))])
def test_notebook_loop_returns_its_images_on_the_device_of_x_0(vae_setup, model_device):
    """Exercise 4's answer subtracts x_0 from x_T: with the model on the GPU and x_0 on the CPU
    (as the notebook keeps them) both must come back on x_0's device."""
    model, x_0, _ = vae_setup
    ns = run_cells(LECTURE_1, *CORE_1)
    config = pj.ProjectionConfig(iterations=2, alpha=0.5, lam=0.0)
    mine = ns["project"](copy.deepcopy(model).to(model_device), x_0, config, record=True)
    for tensor in (mine.x, mine.x_hat, mine.energies, *mine.trajectory):
        assert tensor.device == x_0.device
    assert (mine.x - x_0).abs().sum() > 0     # exercise 4's distance, without .to(...)


# Lecture 2: GAN step, A(x), latent search, izi_f ----------------------------------------------

LECTURE_2 = "02_anogan"


@pytest.mark.parametrize("name", sorted(core_cells(LECTURE_2)))
def test_each_written_out_function_has_its_package_twins_name_and_arguments(name):
    ns = run_cells(LECTURE_2, name)
    twins = list({getattr(m, name) for m in (score, search, gan_train) if hasattr(m, name)})
    assert len(twins) == 1, f"the package has no single function named {name}"

    def arguments(fn):
        return [(p.name, p.kind, p.default) for p in inspect.signature(fn).parameters.values()]

    assert arguments(ns[name]) == arguments(twins[0])


def tiny_gan(seed=0):
    return dcgan.build(z_dim=4, width=8, seed=seed)


def test_notebook_gan_step_equals_the_package():
    ns = run_cells(LECTURE_2, "gan_step")
    cfg = gan_train.GANConfig(z_dim=4, batch_size=4)
    x = torch.rand(4, 1, 64, 64, generator=torch.Generator().manual_seed(3)) * 2 - 1
    runs = []
    for step in (ns["gan_step"], gan_train.gan_step):
        G, D = tiny_gan()
        opt_g = torch.optim.Adam(G.parameters(), cfg.g_lr, betas=cfg.betas)
        opt_d = torch.optim.Adam(D.parameters(), cfg.d_lr, betas=cfg.betas)
        losses = [step(G, D, opt_g, opt_d, x, cfg, 0.1, torch.Generator().manual_seed(7)) for _ in range(2)]
        runs.append((losses, G.state_dict(), D.state_dict()))
    (mine, g1, d1), (ref, g2, d2) = runs
    assert [v for pair in mine for v in pair] == pytest.approx([v for pair in ref for v in pair], rel=1e-5)
    for a, b in ((g1, g2), (d1, d2)):
        for key in a:
            torch.testing.assert_close(a[key], b[key])
    G0, _ = tiny_gan()
    assert not torch.equal(G0.state_dict()["last.0.weight"], g1["last.0.weight"])  # G was updated


@pytest.mark.parametrize("source", ["notebook", "package"])
def test_gan_step_stops_on_a_nan_loss_before_it_reaches_the_weights(source):
    step = run_cells(LECTURE_2, "gan_step")["gan_step"] if source == "notebook" else gan_train.gan_step
    cfg = gan_train.GANConfig(z_dim=4, batch_size=4)
    x = torch.rand(4, 1, 64, 64) * 2 - 1
    x[0, 0, 0, 0] = float("nan")
    G, D = tiny_gan()
    opt_g = torch.optim.Adam(G.parameters(), cfg.g_lr, betas=cfg.betas)
    opt_d = torch.optim.Adam(D.parameters(), cfg.d_lr, betas=cfg.betas)
    with pytest.raises(FloatingPointError, match="NaN"):
        step(G, D, opt_g, opt_d, x, cfg, 0.1, torch.Generator().manual_seed(7))
    for net in (G, D):
        assert all(torch.isfinite(v).all() for v in net.state_dict().values())


def test_notebook_anomaly_score_equals_the_package():
    ns = run_cells(LECTURE_2, "anomaly_score")
    G, D = tiny_gan()
    score.freeze(G, D)
    g = torch.Generator().manual_seed(0)
    x, z = torch.rand(5, 1, 64, 64, generator=g) * 2 - 1, torch.randn(5, 4, generator=g)
    for lam in (0.0, 0.1, 1.0):
        mine, ref = ns["anomaly_score"](G, D, x, z, lam), score.anomaly_score(G, D, x, z, lam)
        assert mine._fields == ref._fields
        for a, b in zip(mine, ref):
            torch.testing.assert_close(a, b)
    assert not torch.equal(mine.residual, mine.discrimination)


def test_notebook_search_z_equals_the_package():
    ns = run_cells(LECTURE_2, "anomaly_score", "search_z")
    g = torch.Generator().manual_seed(1)
    x, z0 = torch.rand(3, 1, 64, 64, generator=g) * 2 - 1, torch.randn(3, 4, generator=g)
    cfg = search.SearchConfig(iterations=6, lr=0.05, lam=0.1)
    runs = []
    for search_z in (ns["search_z"], search.search_z):
        G, D = tiny_gan()
        G.train()  # each must put G and D in eval mode itself
        runs.append(search_z(G, D, x, z0, cfg, every=2))
        assert not G.training and not D.training
        assert not any(p.requires_grad for p in [*G.parameters(), *D.parameters()])
    (z, history, path), (z_ref, history_ref, path_ref) = runs
    torch.testing.assert_close(z, z_ref)
    torch.testing.assert_close(history, history_ref)
    assert len(path) == len(path_ref) == 4
    for a, b in zip(path, path_ref):
        torch.testing.assert_close(a, b)
    assert not torch.equal(path[-1], path[0])  # z moved


def test_notebook_izi_f_equals_the_package():
    ns = run_cells(LECTURE_2, "izi_f")
    G, D = tiny_gan()
    score.freeze(G, D)
    E = dcgan.build_encoder(z_dim=4, width=8, seed=2).eval()
    x = torch.rand(4, 1, 64, 64, generator=torch.Generator().manual_seed(2)) * 2 - 1
    for kappa in (0.0, 1.0, 3.0):
        mine, ref = ns["izi_f"](E, G, D, x, kappa), score.izi_f(E, G, D, x, kappa)
        torch.testing.assert_close(mine, ref)
        grads = torch.autograd.grad(mine, list(E.parameters()))
        refs = torch.autograd.grad(ref, list(E.parameters()))
        for a, b in zip(grads, refs):
            torch.testing.assert_close(a, b)


def test_train_gan_and_train_encoder_use_the_notebooks_functions():
    # The lecture passes its own gan_step and izi_f: train_gan calls the step once per batch, and
    # train_encoder minimises the loss it is given.
    ns = run_cells(LECTURE_2, "gan_step", "izi_f")
    steps, losses = [], []

    def counting_step(*args):
        steps.append(1)
        return ns["gan_step"](*args)

    def counting_loss(*args):
        losses.append(1)
        return ns["izi_f"](*args)

    G, D = tiny_gan()
    x = torch.rand(8, 1, 64, 64) * 2 - 1
    gan_train.train_gan(G, D, x, gan_train.GANConfig(epochs=1, batch_size=4, z_dim=4), progress=False,
                        step=counting_step)
    E = dcgan.build_encoder(z_dim=4, width=8, seed=2)
    gan_train.train_encoder(E, G, D, x, gan_train.EncoderConfig(epochs=1, batch_size=4), progress=False,
                            loss=counting_loss)
    assert len(steps) == 2 and len(losses) == 2
