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

from ..config import pick
from ..messages import say
from ..progress import bar as progress_bar
from .score import SearchResult, anomaly_score, freeze, score_latents


@dataclass
class SearchConfig:
    """Latent search settings (the book: 5,000 Adam steps, lr 1e-3, on five images)."""
    iterations: int = field(default_factory=lambda: pick(50, 10))
    lr: float = 0.05
    lam: float = 0.1
    restarts: int = 1
    batch_size: int = 256
    seed: int = 0


def initial_z(n: int, z_dim: int, seed: int) -> torch.Tensor:
    """The search's starting points, z ~ N(0, I) [n, z_dim], reproducible from ``seed``."""
    return torch.randn(n, z_dim, generator=torch.Generator().manual_seed(seed))


def search_z(G, D, x, z0, cfg: SearchConfig, every: int = 0, bar=None):
    """Adam on z from z0 [B, z_dim] for the batch x [B, 1, H, W], with G and D frozen in eval mode;
    returns (each image's best z, L per step [iterations + 1, B], path): ``path`` holds z [B, z_dim]
    on the CPU at step 0 and after every ``every`` steps (empty for ``every=0``), the very run that
    is scored; ``bar`` (a progress bar) advances once per step.

    The total is the SUM of per-image losses, so z_i's gradient is that of L_i alone, and Adam
    keeps its moments per element: each image's search is independent of the others in the batch.
    """
    freeze(G, D)
    z = z0.clone().requires_grad_(True)
    opt = torch.optim.Adam([z], lr=cfg.lr)
    best_z, best = z0.clone(), torch.full((len(z0),), float("inf"), device=z0.device)
    history, path = [], []
    for step in range(cfg.iterations + 1):
        if every and step % every == 0:
            path.append(z.detach().cpu().clone())
        loss = anomaly_score(G, D, x, z, cfg.lam).score                 # [B]
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
    return best_z, torch.stack(history), path


def latent_search(G, D, images: torch.Tensor, cfg: SearchConfig | None = None, z0: torch.Tensor | None = None,
                  progress: bool = True) -> SearchResult:
    """Batched AnoGAN search over all ``images`` [N, 1, H, W] in [-1, 1].

    G and D are put in eval mode with frozen weights (the book left G's BatchNorm in train mode,
    so a score depended on the other images of the batch). ``z0`` [N, z_dim] starts the search
    (e.g. the encoder's E(x)); otherwise ``cfg.restarts`` random starts per image run side by
    side. Each run keeps the z of the lowest L it reached at any step (not the last step's), and of
    an image's restarts the one whose lowest L is lowest is scored.
    """
    cfg = cfg or SearchConfig()
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
    with progress_bar(total=len(chunks) * cfg.iterations, desc=say("bar_search"), disable=not progress) as bar:
        for i in chunks:
            z, h, _ = search_z(G, D, x_all[i:i + cfg.batch_size].to(device),
                               z0[i:i + cfg.batch_size].to(device), cfg, bar=bar)
            zs.append(z)
            hists.append(h)
    z, history = torch.cat(zs), torch.cat(hists, dim=1)                  # [R*N, z], [T+1, R*N]
    z, history = _best_restart(z, history, n)
    scores = score_latents(G, D, images, z, cfg.lam, cfg.batch_size)
    return SearchResult(**vars(scores), history=history.cpu(), seconds=time.perf_counter() - t0)


def _best_restart(z: torch.Tensor, history: torch.Tensor, n: int) -> tuple[torch.Tensor, torch.Tensor]:
    """Keep, per image, the restart that reached the lowest loss at any step."""
    r = len(z) // n
    lowest = history.min(0).values.view(r, n)                          # [R, N] lowest L of each start
    best = lowest.argmin(0)                                            # [N]
    idx = best * n + torch.arange(n, device=best.device)
    return z[idx], history[:, idx]


def search_trajectory(G, D, images: torch.Tensor, cfg: SearchConfig, z0: torch.Tensor | None = None,
                      every: int = 1) -> list[torch.Tensor]:
    """z every ``every`` steps of the search that ``latent_search`` scores (same start, one Adam run,
    no restarts) for a few images: a list of [n, z_dim] (for the explorer)."""
    device = next(G.parameters()).device
    z0 = z0 if z0 is not None else initial_z(len(images), G.z_dim, cfg.seed)
    _, _, path = search_z(G, D, images.to(device), z0.to(device), cfg, every=max(1, every))
    return path

