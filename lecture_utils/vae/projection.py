"""Iterative energy-based projection on the normal data manifold (Dehaene et al., ICLR 2020).

Starting from a test image x_0, repeat

    x_{t+1} = x_t − α · (∇E(x_t) ⊙ (x_t − f_VAE(x_t))²)

so that only the pixels the VAE cannot reconstruct move, toward an image the VAE explains.
Three energies E are available (``ProjectionConfig.energy``):

* ``"paper"``: E(x_t) = L_VAE(x_t) + λ‖x_t − x_0‖₁, the VAE's own loss (BCE + KL, as trained) with
  the gradient taken through the encoder and decoder, as in the paper;
* ``"kl"`` (the default): the same with the reconstruction term written as a divergence,
  BCE(f_VAE(x_t), x_t) − H(x_t) (H: the image's own Bernoulli entropy, which does not depend on the
  weights, so training is unchanged): it is 0 and flat at x_t = f_VAE(x_t), whereas the BCE alone
  is linear in x_t and pushes every pixel toward 0 or 1;
* ``"lecture"``: E(x_t) = ‖x_t − f_VAE(x_t)‖² + λ‖x_t − x_0‖₁ with f_VAE(x_t) treated as a
  constant (``no_grad``), as in the original lecture code.

Everything is batched over images; an image stops on its own once E(x_t) <= ``stop_energy``.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import torch

from ..config import pick
from ..messages import say
from .model import vae_loss


@dataclass
class ProjectionConfig:
    """α, λ, the iteration count and the energy (the lecture's: α = 0.5, λ = 0.05, 1 + 99 steps,
    th = 0.5). ``stop_energy``: an image stops once E(x_t) <= this (the lecture's ``th``; None: never)."""
    iterations: int = field(default_factory=lambda: pick(100, 10))
    alpha: float = 0.5
    lam: float = 0.05
    energy: str = "kl"
    stop_energy: float | None = None


def l1_term(x_t: torch.Tensor, x_0: torch.Tensor) -> torch.Tensor:
    """‖x_t − x_0‖₁ per image [B]."""
    return (x_t - x_0).abs().flatten(1).sum(1)


def entropy(x: torch.Tensor, eps: float = 1e-3) -> torch.Tensor:
    """H(x) = −Σ [x log x + (1 − x) log(1 − x)] per image [B]: the BCE of a perfect reconstruction
    (pixels clamped to [eps, 1 − eps], where the logarithms stay finite)."""
    x = x.clamp(eps, 1 - eps)
    return -(x * x.log() + (1 - x) * (1 - x).log()).flatten(1).sum(1)


def paper_energy(model, x_t, x_0, lam):
    """The paper's E(x_t) = L_VAE(x_t) + λ‖x_t − x_0‖₁ per image [B] (BCE + KL as trained, gradient
    through the VAE), and f_VAE(x_t)."""
    x_hat, mu, logvar = model(x_t)  # z = mu in eval mode
    return vae_loss(x_t, x_hat, mu, logvar) + lam * l1_term(x_t, x_0), x_hat


def kl_energy(model, x_t, x_0, lam):
    """E(x_t) = [L_VAE(x_t) − H(x_t)] + λ‖x_t − x_0‖₁ per image [B], and f_VAE(x_t).
    L_VAE − H = KL(x_t ‖ f_VAE(x_t)) summed over pixels + KL(q(z|x_t) ‖ N(0, I))."""
    e, x_hat = paper_energy(model, x_t, x_0, lam)
    return e - entropy(x_t), x_hat


def lecture_energy(model, x_t, x_0, lam):
    """The lecture's E(x_t) = ‖x_t − f_VAE(x_t)‖² + λ‖x_t − x_0‖₁, f_VAE(x_t) detached."""
    with torch.no_grad():
        x_hat = model(x_t)[0]
    return (x_t - x_hat).pow(2).flatten(1).sum(1) + lam * l1_term(x_t, x_0), x_hat


ENERGIES = {"paper": paper_energy, "kl": kl_energy, "lecture": lecture_energy}


def energy_and_gradient(energy, model, x_t, x_0, lam):
    """E(x_t) [B], ∇E(x_t) [B, C, H, W] and f_VAE(x_t) [B, C, H, W] for a batch, ``energy`` one of
    :data:`ENERGIES`' functions (each image's gradient is that of its own energy, because the images
    do not interact in eval mode)."""
    x_t = x_t.detach().requires_grad_(True)
    e, x_hat = energy(model, x_t, x_0, lam)
    (grad,) = torch.autograd.grad(e.sum(), x_t)
    return e.detach(), grad, x_hat.detach()


def step(x_t, grad, x_hat, alpha):
    """x_{t+1} = x_t − α · (∇E(x_t) ⊙ (x_t − f_VAE(x_t))²), kept inside [0, 1]."""
    return (x_t - alpha * grad * (x_t - x_hat) ** 2).clamp(0, 1)


@dataclass
class ProjectionResult:
    """``x``: the projected images x_T [B, C, H, W]; ``x_hat``: f_VAE(x_T); ``energies``: E(x_t)
    [T + 1, B] (NaN after an image stopped); ``steps``: updates done per image [B];
    ``trajectory``: x_0, x_1, ... [T + 1 tensors of B, C, H, W] when ``record=True``."""
    x: torch.Tensor
    x_hat: torch.Tensor
    energies: torch.Tensor
    steps: torch.Tensor
    trajectory: list | None = None


def project(model, x_0: torch.Tensor, config: ProjectionConfig | None = None, record: bool = False) -> ProjectionResult:
    """Project a batch x_0 [B, C, H, W] in [0, 1] toward the VAE's normal manifold (see module docstring).

    An image whose energy reaches ``config.stop_energy`` keeps its x_t from then on.  The model's
    parameters get no gradients and the model is put in eval mode (no sampling, no dropout).
    """
    config = config or ProjectionConfig()
    if config.energy not in ENERGIES:
        raise ValueError(f"energy must be one of {sorted(ENERGIES)}, got {config.energy!r}")
    model.eval()
    x_0 = x_0.to(next(model.parameters()).device)
    x_t = x_0.clone()                                                   # [B, C, H, W]
    energies = torch.full((config.iterations + 1, len(x_0)), float("nan"), dtype=x_0.dtype)
    steps = torch.zeros(len(x_0), dtype=torch.long)
    active = torch.ones(len(x_0), dtype=torch.bool, device=x_0.device)  # [B] still moving
    trajectory = [x_0.cpu()] if record else None
    for t in range(config.iterations + 1):
        e, grad, x_hat = energy_and_gradient(ENERGIES[config.energy], model, x_t, x_0, config.lam)
        energies[t, active.cpu()] = e[active].cpu()
        if config.stop_energy is not None:
            active &= e > config.stop_energy
        if t == config.iterations or not active.any():
            break
        moved = step(x_t, grad, x_hat, config.alpha)
        x_t = torch.where(active[:, None, None, None], moved, x_t)
        steps += active.cpu().long()
        if record:
            trajectory.append(x_t.cpu())
    return ProjectionResult(x_t.cpu(), x_hat.cpu(), energies, steps, trajectory)


def project_all(model, images: torch.Tensor, config: ProjectionConfig | None = None, batch_size: int = 32,
                progress: bool = True) -> ProjectionResult:
    """:func:`project` over a whole set [N, C, H, W], ``batch_size`` images at a time (no trajectory)."""
    from ..progress import bar as progress_bar
    parts = [project(model, images[i:i + batch_size], config)
             for i in progress_bar(range(0, len(images), batch_size), desc=say("bar_projection"), disable=not progress)]
    return ProjectionResult(torch.cat([p.x for p in parts]), torch.cat([p.x_hat for p in parts]),
                            torch.cat([p.energies for p in parts], 1), torch.cat([p.steps for p in parts]))
