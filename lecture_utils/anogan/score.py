"""AnoGAN's anomaly score A(x) and f-AnoGAN's izi_f score, each written once (Schlegl et al. 2017, 2019).

AnoGAN: for an image x and a latent z,

    A(x) = L(z) = (1 - λ) · Σ |x - G(z)|  +  λ · Σ |f_D(x) - f_D(G(z))|

(residual term + discrimination term; f_D: the discriminator's feature before ``last``), at the
z found by the latent search (``search.py``). f-AnoGAN: z = E(x) from one pass of an encoder and

    A_E(x) = A_R + κ · A_D = mean (x - G(z))² + κ · mean (f_D(x) - f_D(G(z)))²,

the very loss (izi_f) E is trained to make small on normal images (``train.py``).
Scoring never trains: G, D and E are used frozen, in eval mode.
"""
from __future__ import annotations

import time
from dataclasses import dataclass
from typing import NamedTuple

import torch

from ..batching import in_batches
from ..metrics import auroc


class AnomalyScore(NamedTuple):
    """A(x) of each image of a batch and its two terms, all [B]; ``x_hat`` G(z) [B, 1, H, W]."""
    score: torch.Tensor
    residual: torch.Tensor
    discrimination: torch.Tensor
    x_hat: torch.Tensor


class IziFScore(NamedTuple):
    """A_E(x) of each image of a batch and its two terms A_R and A_D, all [B]; ``z`` E(x) [B, z_dim],
    ``x_hat`` G(E(x)) [B, 1, H, W]."""
    score: torch.Tensor
    a_r: torch.Tensor
    a_d: torch.Tensor
    z: torch.Tensor
    x_hat: torch.Tensor


@dataclass
class LatentScores:
    """A(x) of every image at given latents: ``scores``, ``residual`` and ``discrimination`` [N], the
    latent ``z`` [N, z_dim], ``reconstructions`` G(z) and ``residual_maps`` |x - G(z)| [N, 1, H, W]
    (in [-1, 1] units)."""
    scores: torch.Tensor
    residual: torch.Tensor
    discrimination: torch.Tensor
    z: torch.Tensor
    reconstructions: torch.Tensor
    residual_maps: torch.Tensor


@dataclass
class SearchResult(LatentScores):
    """``LatentScores`` at the latents a search found, with the search's ``history`` [iterations + 1, N]
    (L per step) and ``seconds``."""
    history: torch.Tensor
    seconds: float


@dataclass
class EncoderScores:
    """A_E(x) of every image: ``scores``, ``a_r`` and ``a_d`` [N], ``z`` E(x) [N, z_dim],
    ``reconstructions`` G(E(x)) and ``residual_maps`` |x - G(E(x))| [N, 1, H, W], ``seconds``."""
    scores: torch.Tensor
    a_r: torch.Tensor
    a_d: torch.Tensor
    z: torch.Tensor
    reconstructions: torch.Tensor
    residual_maps: torch.Tensor
    seconds: float


def freeze(*models) -> None:
    """Eval mode (BatchNorm uses its running statistics) and no weight gradients."""
    for m in models:
        m.eval()
        m.requires_grad_(False)


def weigh(residual: torch.Tensor, discrimination: torch.Tensor, lam: float) -> torch.Tensor:
    """A(x) = (1 - λ) · residual + λ · discrimination: the weighting of ``anomaly_score`` and ``auroc_by_lambda``."""
    return (1 - lam) * residual + lam * discrimination


def anomaly_score(G, D, x: torch.Tensor, z: torch.Tensor, lam: float = 0.1) -> AnomalyScore:
    """A(x) = L(z) = (1 - λ) Σ|x - G(z)| + λ Σ|f_D(x) - f_D(G(z))| per image of x [B, 1, H, W] at
    z [B, z_dim] (module docstring), with its residual and discrimination terms and G(z)."""
    x_hat = G(z)                                                       # [B, 1, H, W]
    _, f_x = D(x)                                                      # [B, F]
    _, f_hat = D(x_hat)                                                # [B, F]
    residual = (x - x_hat).abs().flatten(1).sum(1)                     # [B]
    discrimination = (f_x - f_hat).abs().sum(1)                        # [B]
    return AnomalyScore(weigh(residual, discrimination, lam), residual, discrimination, x_hat)


def auroc_by_lambda(labels, residual: torch.Tensor, discrimination: torch.Tensor, lams) -> list[float]:
    """The AUROC of A(x) = (1 - λ) · residual + λ · discrimination for each λ of ``lams``, with both
    terms [N] held fixed: a re-weighting at the z already found (searched with one λ), no new search."""
    return [auroc(labels, weigh(residual, discrimination, lam)) for lam in lams]


def izi_f_score(E, G, D, x: torch.Tensor, kappa: float = 1.0) -> IziFScore:
    """A_E(x) = A_R + κ · A_D per image of x [B, 1, H, W] at z = E(x) (module docstring): A_R = mean
    (x - G(z))² over pixels, A_D = mean (f_D(x) - f_D(G(z)))² over features."""
    z = E(x)                                                            # [B, z_dim]
    x_hat = G(z)                                                        # [B, 1, H, W]
    _, f_x = D(x)                                                       # [B, F]
    _, f_hat = D(x_hat)                                                 # [B, F]
    a_r = (x - x_hat).pow(2).flatten(1).mean(1)                         # [B]
    a_d = (f_x - f_hat).pow(2).mean(1)                                  # [B]
    return IziFScore(a_r + kappa * a_d, a_r, a_d, z, x_hat)


def izi_f(E, G, D, x: torch.Tensor, kappa: float) -> torch.Tensor:
    """f-AnoGAN's izi_f loss, the one E is trained on: the batch mean of A_E(x) (``izi_f_score``)."""
    return izi_f_score(E, G, D, x, kappa).score.mean()


def _device(model) -> torch.device:
    return next(model.parameters()).device


def score_latents(G, D, images: torch.Tensor, z: torch.Tensor, lam: float = 0.1,
                  batch_size: int = 256) -> LatentScores:
    """A(x) (``anomaly_score``), reconstructions and residual maps of ``images`` for given latents ``z`` (no search)."""
    freeze(G, D)
    scores, residual, discrimination, x_hat = in_batches(lambda x, z: anomaly_score(G, D, x, z, lam), images, z,
                                                         batch_size=batch_size, device=_device(G))
    return LatentScores(scores, residual, discrimination, z.detach().cpu(), x_hat, (images.cpu() - x_hat).abs())


def encoder_scores(E, G, D, images: torch.Tensor, kappa: float = 1.0, batch_size: int = 256) -> EncoderScores:
    """The fast variant (f-AnoGAN), one forward pass of E, G and D per image, no search: A_E(x)
    (``izi_f_score``) of every image, and the seconds it took."""
    t0 = time.perf_counter()
    E.eval()
    freeze(G, D)
    scores, a_r, a_d, z, x_hat = in_batches(lambda x: izi_f_score(E, G, D, x, kappa), images,
                                            batch_size=batch_size, device=_device(G))
    return EncoderScores(scores, a_r, a_d, z, x_hat, (images.cpu() - x_hat).abs(), time.perf_counter() - t0)


def to_unit(images: torch.Tensor) -> torch.Tensor:
    """[0, 1] images -> the GAN's [-1, 1]."""
    return images * 2 - 1


def to_display(images: torch.Tensor) -> torch.Tensor:
    """[-1, 1] images -> [0, 1] for ``imshow(vmin=0, vmax=1)``."""
    return ((images + 1) / 2).clamp(0, 1)
