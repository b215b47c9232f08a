"""Anomaly maps (where is the defect?) and image scores (is there one?).

A map compares the input x_0 with an image the VAE considers normal (its reconstruction
f_VAE(x_0), or the projection x_T): the absolute residual |x_0 − x_T|, or the structural
dissimilarity DSSIM = (1 − SSIM) / 2 computed with scikit-image.  Maps are [N, H, W] tensors,
higher = more anomalous; ``smooth`` blurs them with a Gaussian, ``image_scores`` turns each into
one number.
"""
from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F
from skimage.metrics import structural_similarity


def residual_map(x_0: torch.Tensor, x_T: torch.Tensor) -> torch.Tensor:
    """|x_0 − x_T| averaged over channels: [N, C, H, W] x 2 -> [N, H, W]."""
    return (x_0 - x_T).abs().mean(1)


def dssim_map(x_0: torch.Tensor, x_T: torch.Tensor, win_size: int = 11) -> torch.Tensor:
    """Per-pixel DSSIM = (1 − SSIM(x_0, x_T)) / 2 averaged over channels: [N, C, H, W] -> [N, H, W].

    Uses ``skimage.metrics.structural_similarity`` with ``channel_axis`` and ``data_range=1`` (images
    are floats in [0, 1]).
    """
    a = x_0.detach().cpu().permute(0, 2, 3, 1).double().numpy()  # [N, H, W, C]
    b = x_T.detach().cpu().permute(0, 2, 3, 1).double().numpy()
    maps = []
    for ai, bi in zip(a, b):
        _, s = structural_similarity(ai, bi, win_size=win_size, channel_axis=-1, data_range=1.0, full=True)
        maps.append(np.clip((1 - s.mean(-1)) / 2, 0, 1))  # [H, W]
    return torch.from_numpy(np.stack(maps)).float()


def smooth(maps: torch.Tensor, sigma: float = 4.0) -> torch.Tensor:
    """Gaussian blur of maps [N, H, W] with standard deviation ``sigma`` pixels (0: unchanged)."""
    if sigma <= 0:
        return maps
    r = int(3 * sigma + 0.5)
    k = torch.exp(-torch.arange(-r, r + 1, dtype=torch.float32) ** 2 / (2 * sigma ** 2))
    k = (k / k.sum()).to(maps)
    m = F.pad(maps[:, None], (r, r, r, r), mode="reflect")  # [N, 1, H + 2r, W + 2r]
    m = F.conv2d(m, k.view(1, 1, 1, -1))
    return F.conv2d(m, k.view(1, 1, -1, 1))[:, 0]


SCORES = ("max", "mean", "mean_top1pct")   # image_scores' ``how``


def image_scores(maps: torch.Tensor, how: str = "max") -> torch.Tensor:
    """One anomaly score per map [N, H, W] -> [N]: its ``max``, ``mean``, or ``mean_top1pct`` (the mean
    of its highest 1 % of pixels)."""
    flat = maps.flatten(1)
    if how == "max":
        return flat.max(1).values
    if how == "mean":
        return flat.mean(1)
    if how == "mean_top1pct":
        return flat.topk(max(1, flat.shape[1] // 100), dim=1).values.mean(1)
    raise ValueError(f"how must be one of {SCORES}, got {how!r}")


MAPS = {"residual": residual_map, "dssim": dssim_map}


def anomaly_map(x_0: torch.Tensor, x_T: torch.Tensor, kind: str = "dssim", sigma: float = 4.0) -> torch.Tensor:
    """``residual`` or ``dssim`` map of x_0 against x_T [N, C, H, W], smoothed: [N, H, W]."""
    if kind not in MAPS:
        raise ValueError(f"kind must be one of {sorted(MAPS)}, got {kind!r}")
    return smooth(MAPS[kind](x_0, x_T), sigma)


def fit_normalizer(maps: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Per-pixel mean and spread [H, W] of the maps [N, H, W] of *good* (training) images.

    The spread is sqrt(std² + median(std)²): pixels where good images always differ (edges, the
    print) are damped, and the median keeps flat background pixels from being blown up.
    """
    mean = maps.mean(0)
    std = maps.std(0) if len(maps) > 1 else torch.zeros_like(mean)  # one map has no spread
    return mean, (std ** 2 + std.median() ** 2).sqrt().clamp_min(1e-8)


def normalize(maps: torch.Tensor, stats: tuple[torch.Tensor, torch.Tensor]) -> torch.Tensor:
    """(map − mean) / spread with the statistics of :func:`fit_normalizer`: how unusual each pixel is."""
    mean, spread = stats
    return (maps - mean) / spread
