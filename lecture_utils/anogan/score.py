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

import torch

from ..batching import in_batches
from ..metrics import auroc


@dataclass
class SearchResult:
    """Per-image results: ``scores`` A(x) [N], its two terms ``residual`` and ``discrimination``
    [N], the latent ``z`` [N, z_dim], ``reconstructions`` G(z) and ``residual_maps`` |x - G(z)|
    [N, 1, H, W] (in [-1, 1] units), ``history`` [iterations + 1, N] (L per step), ``seconds``."""
    scores: torch.Tensor
    residual: torch.Tensor
    discrimination: torch.Tensor
    z: torch.Tensor
    reconstructions: torch.Tensor
    residual_maps: torch.Tensor
    history: torch.Tensor
    seconds: float


def freeze(*models) -> None:
    """Eval mode (BatchNorm uses its running statistics) and no weight gradients."""
    for m in models:
        m.eval()
        m.requires_grad_(False)


def anomaly_terms(G, D, x: torch.Tensor, z: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Per image: (Σ|x - G(z)|, Σ|f_D(x) - f_D(G(z))|, G(z)); each sum over one image only."""
    x_hat = G(z)                                                       # [B, 1, H, W]
    _, f_x = D(x)                                                      # [B, F]
    _, f_hat = D(x_hat)                                                # [B, F]
    residual = (x - x_hat).abs().flatten(1).sum(1)                     # [B]
    discrimination = (f_x - f_hat).abs().sum(1)                        # [B]
    return residual, discrimination, x_hat


def combine(residual: torch.Tensor, discrimination: torch.Tensor, lam: float = 0.1) -> torch.Tensor:
    """A(x) = (1 - λ) · residual + λ · discrimination: the one place the score's weighting is written."""
    return (1 - lam) * residual + lam * discrimination


def auroc_by_lambda(labels, residual: torch.Tensor, discrimination: torch.Tensor, lams) -> list[float]:
    """The AUROC of A(x) = (1 - λ) · residual + λ · discrimination for each λ of ``lams``, with both
    terms [N] held fixed: a re-weighting at the z already found (searched with one λ), no new search."""
    return [auroc(labels, combine(residual, discrimination, lam)) for lam in lams]


def anomaly_loss(G, D, x: torch.Tensor, z: torch.Tensor, lam: float = 0.1) -> torch.Tensor:
    """L(z) per image [B] = (1 - λ) Σ|x - G(z)| + λ Σ|f_D(x) - f_D(G(z))|."""
    residual, discrimination, _ = anomaly_terms(G, D, x, z)
    return combine(residual, discrimination, lam)


def izi_f_terms(G, D, x: torch.Tensor, z: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """f-AnoGAN's two terms per image [B]: A_R = mean (x - G(z))^2 over pixels, A_D = mean
    (f_D(x) - f_D(G(z)))^2 over features; and G(z) [B, 1, H, W]."""
    x_hat = G(z)                                                        # [B, 1, H, W]
    _, f_x = D(x)                                                       # [B, 8192]
    _, f_hat = D(x_hat)
    return (x - x_hat).pow(2).flatten(1).mean(1), (f_x - f_hat).pow(2).mean(1), x_hat


def izi_f_combine(a_r: torch.Tensor, a_d: torch.Tensor, kappa: float = 1.0) -> torch.Tensor:
    """A_E(x) = A_R + κ · A_D: the one place the encoder score's weighting is written."""
    return a_r + kappa * a_d


def izi_f_loss(E, G, D, x: torch.Tensor, kappa: float) -> torch.Tensor:
    """f-AnoGAN's izi_f loss: the batch mean of A_E(x) = A_R + κ · A_D with z = E(x) (see izi_f_terms)."""
    a_r, a_d, _ = izi_f_terms(G, D, x, E(x))
    return izi_f_combine(a_r, a_d, kappa).mean()


def _device(model) -> torch.device:
    return next(model.parameters()).device


def _terms_of(terms, G, D, images: torch.Tensor, z: torch.Tensor, batch_size: int):
    """``terms(G, D, x, z)`` over all images in chunks: (term 1 [N], term 2 [N], G(z)) on the CPU."""
    freeze(G, D)
    return in_batches(lambda x, z: terms(G, D, x, z), images, z, batch_size=batch_size, device=_device(G))


def _result(scores, term_1, term_2, z, x_hat, x) -> SearchResult:
    """A ``SearchResult`` of scores [N] found without a search (no steps, 0 s)."""
    return SearchResult(scores, term_1, term_2, z.detach().cpu(), x_hat, (x.cpu() - x_hat).abs(),
                        scores[None].clone(), 0.0)


def score_latents(G, D, images: torch.Tensor, z: torch.Tensor, lam: float = 0.1,
                  batch_size: int = 256) -> SearchResult:
    """AnoGAN scores A(x) = L(z), reconstructions and residual maps of ``images`` for given latents ``z`` (no search)."""
    residual, discrimination, x_hat = _terms_of(anomaly_terms, G, D, images, z, batch_size)
    return _result(combine(residual, discrimination, lam), residual, discrimination, z, x_hat, images)


def encode(E, images: torch.Tensor, batch_size: int = 256) -> torch.Tensor:
    """z = E(x) for every image, [N, z_dim]."""
    E.eval()
    return in_batches(E, images, batch_size=batch_size, device=_device(E))


def encoder_scores(E, G, D, images: torch.Tensor, kappa: float = 1.0, batch_size: int = 256) -> SearchResult:
    """The fast variant (f-AnoGAN), one forward pass of E, G and D per image, no search:
    z = E(x), A_E(x) = A_R + κ · A_D (module docstring). ``residual`` and ``discrimination`` of the
    result hold A_R and A_D."""
    t0 = time.perf_counter()
    z = encode(E, images, batch_size)
    a_r, a_d, x_hat = _terms_of(izi_f_terms, G, D, images, z, batch_size)
    result = _result(izi_f_combine(a_r, a_d, kappa), a_r, a_d, z, x_hat, images)
    result.seconds = time.perf_counter() - t0
    return result


def to_unit(images: torch.Tensor) -> torch.Tensor:
    """[0, 1] images -> the GAN's [-1, 1]."""
    return images * 2 - 1


def to_display(images: torch.Tensor) -> torch.Tensor:
    """[-1, 1] images -> [0, 1] for ``imshow(vmin=0, vmax=1)``."""
    return ((images + 1) / 2).clamp(0, 1)
