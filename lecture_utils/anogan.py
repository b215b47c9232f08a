"""AnoGAN (Schlegl et al. 2017; book ch. 6-2): score an image by how well G can reproduce it.

For each test image x we look for the latent z whose G(z) is closest, minimising

    L(z) = (1 - λ) · Σ |x - G(z)|  +  λ · Σ |f_D(x) - f_D(G(z))|

(residual term + discrimination term; f_D: the discriminator's feature before ``last``; λ = 0.1),
and the anomaly score A(x) is L at the z found. Normal images (what G learned) are reproduced
well: low A(x). The fast variant (f-AnoGAN) replaces the search by one pass of an encoder,
z = E(x), and scores with the loss E was trained on (``encoder_scores``).
"""
from __future__ import annotations

import time
from dataclasses import dataclass, field

import torch
from tqdm.auto import tqdm

from .config import pick
from .gan_training import freeze, izi_f_terms


@dataclass
class SearchConfig:
    """Latent search settings (the book: 5,000 Adam steps, lr 1e-3, on five images)."""
    iterations: int = field(default_factory=lambda: pick(50, 10))
    lr: float = 0.05
    lam: float = 0.1
    restarts: int = 1
    batch_size: int = 256
    seed: int = 0


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


def anomaly_terms(G, D, x: torch.Tensor, z: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Per image: (Σ|x - G(z)|, Σ|f_D(x) - f_D(G(z))|, G(z)); each sum over one image only."""
    x_hat = G(z)                                                       # [B, 1, H, W]
    _, f_x = D(x)                                                      # [B, F]
    _, f_hat = D(x_hat)                                                # [B, F]
    residual = (x - x_hat).abs().flatten(1).sum(1)                     # [B]
    discrimination = (f_x - f_hat).abs().sum(1)                        # [B]
    return residual, discrimination, x_hat


def anomaly_loss(G, D, x: torch.Tensor, z: torch.Tensor, lam: float = 0.1) -> torch.Tensor:
    """L(z) per image [B] = (1 - λ) Σ|x - G(z)| + λ Σ|f_D(x) - f_D(G(z))|."""
    residual, discrimination, _ = anomaly_terms(G, D, x, z)
    return (1 - lam) * residual + lam * discrimination


def initial_z(n: int, z_dim: int, seed: int) -> torch.Tensor:
    """The search's starting points, z ~ N(0, I) [n, z_dim], reproducible from ``seed``."""
    return torch.randn(n, z_dim, generator=torch.Generator().manual_seed(seed))


def _search_chunk(G, D, x, z0, cfg: SearchConfig, bar=None) -> tuple[torch.Tensor, torch.Tensor]:
    """Adam on z for one chunk; returns (each image's best z, loss history [iterations + 1, B]).

    The total is the SUM of per-image losses, so z_i's gradient is that of L_i alone, and Adam
    keeps its moments per element: each image's search is independent of the others in the batch.
    """
    z = z0.clone().requires_grad_(True)
    opt = torch.optim.Adam([z], lr=cfg.lr)
    best_z, best = z0.clone(), torch.full((len(z0),), float("inf"), device=z0.device)
    history = []
    for step in range(cfg.iterations + 1):
        loss = anomaly_loss(G, D, x, z, cfg.lam)                        # [B]
        history.append(loss.detach())
        better = loss.detach() < best                                  # keep each image's best z so far
        best_z[better], best[better] = z.detach()[better], loss.detach()[better]
        if step == cfg.iterations:
            break
        opt.zero_grad()
        loss.sum().backward()
        opt.step()
        if bar is not None:
            bar.update(1)
    return best_z, torch.stack(history)


def latent_search(G, D, images: torch.Tensor, cfg: SearchConfig | None = None, z0: torch.Tensor | None = None,
                  progress: bool = True) -> SearchResult:
    """Batched AnoGAN search over all ``images`` [N, 1, H, W] in [-1, 1].

    G and D are put in eval mode with frozen weights (the book left G's BatchNorm in train mode,
    so a score depended on the other images of the batch). ``z0`` [N, z_dim] starts the search
    (e.g. the encoder's E(x)); otherwise ``cfg.restarts`` random starts per image run side by
    side and the best final L per image is kept.
    """
    cfg = cfg or SearchConfig()
    freeze(G, D)
    device = next(G.parameters()).device
    n = len(images)
    if z0 is None:
        z0 = initial_z(n * cfg.restarts, G.z_dim, cfg.seed)                 # [R*N, z_dim]
        x_all = images.repeat(cfg.restarts, 1, 1, 1)                         # [R*N, 1, H, W]
    else:
        x_all = images
    t0 = time.perf_counter()
    zs, hists = [], []
    chunks = range(0, len(x_all), cfg.batch_size)
    with tqdm(total=len(chunks) * cfg.iterations, desc="latent search", disable=not progress) as bar:
        for i in chunks:
            z, h = _search_chunk(G, D, x_all[i:i + cfg.batch_size].to(device),
                                 z0[i:i + cfg.batch_size].to(device), cfg, bar)
            zs.append(z)
            hists.append(h)
    z, history = torch.cat(zs), torch.cat(hists, dim=1)                  # [R*N, z], [T+1, R*N]
    z, history = _best_restart(z, history, n)
    result = score_latents(G, D, images, z, cfg.lam, cfg.batch_size)
    result.history, result.seconds = history.cpu(), time.perf_counter() - t0
    return result


def _best_restart(z: torch.Tensor, history: torch.Tensor, n: int) -> tuple[torch.Tensor, torch.Tensor]:
    """Keep, per image, the restart that reached the lowest loss."""
    r = len(z) // n
    final = history.min(0).values.view(r, n)                           # [R, N] best L of each start
    best = final.argmin(0)                                             # [N]
    idx = best * n + torch.arange(n, device=best.device)
    return z[idx], history[:, idx]


@torch.no_grad()
def _terms_of(terms, G, D, images: torch.Tensor, z: torch.Tensor, batch_size: int):
    """``terms(G, D, x, z)`` over all images in chunks: (term 1 [N], term 2 [N], G(z), x) on the CPU."""
    freeze(G, D)
    device = next(G.parameters()).device
    parts = []
    for i in range(0, len(images), batch_size):
        x = images[i:i + batch_size].to(device)
        parts.append([t.cpu() for t in terms(G, D, x, z[i:i + batch_size].to(device))] + [x.cpu()])
    return (torch.cat(p) for p in zip(*parts))


def _result(scores, term_1, term_2, z, x_hat, x) -> SearchResult:
    """A ``SearchResult`` of scores [N] found without a search (no steps, 0 s)."""
    return SearchResult(scores, term_1, term_2, z.detach().cpu(), x_hat, (x - x_hat).abs(), scores[None].clone(), 0.0)


def score_latents(G, D, images: torch.Tensor, z: torch.Tensor, lam: float = 0.1,
                  batch_size: int = 256) -> SearchResult:
    """AnoGAN scores L(z), reconstructions and residual maps of ``images`` for given latents ``z`` (no search)."""
    residual, discrimination, x_hat, x = _terms_of(anomaly_terms, G, D, images, z, batch_size)
    return _result((1 - lam) * residual + lam * discrimination, residual, discrimination, z, x_hat, x)


@torch.no_grad()
def encode(E, images: torch.Tensor, batch_size: int = 256) -> torch.Tensor:
    """z = E(x) for every image, [N, z_dim]."""
    E.eval()
    device = next(E.parameters()).device
    return torch.cat([E(images[i:i + batch_size].to(device)).cpu() for i in range(0, len(images), batch_size)])


def encoder_scores(E, G, D, images: torch.Tensor, kappa: float = 1.0, batch_size: int = 256) -> SearchResult:
    """The fast variant (f-AnoGAN), one forward pass of E, G and D per image, no search:

        z = E(x),   A(x) = A_R + κ · A_D = mean (x - G(z))² + κ · mean (f_D(x) - f_D(G(z)))²

    the very loss E was trained to make small on normal images (izi_f). ``residual`` and
    ``discrimination`` of the result hold A_R and A_D.
    """
    t0 = time.perf_counter()
    z = encode(E, images, batch_size)
    a_r, a_d, x_hat, x = _terms_of(izi_f_terms, G, D, images, z, batch_size)
    result = _result(a_r + kappa * a_d, a_r, a_d, z, x_hat, x)
    result.seconds = time.perf_counter() - t0
    return result


def to_unit(images: torch.Tensor) -> torch.Tensor:
    """[0, 1] images -> the GAN's [-1, 1]."""
    return images * 2 - 1


def to_display(images: torch.Tensor) -> torch.Tensor:
    """[-1, 1] images -> [0, 1] for ``imshow(vmin=0, vmax=1)``."""
    return ((images + 1) / 2).clamp(0, 1)
