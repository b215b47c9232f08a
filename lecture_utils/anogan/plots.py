"""Figures of the AnoGAN lecture: training curves, sample grids, search results and scores (ROC
curves: ``viz.roc_curves``, shared with lecture 1).

Every image is shown in [0, 1] with ``vmin=0, vmax=1``; every figure has a title and labels, every
residual map its colour scale, and each test image says whether it is normal or an anomaly (the
digits' ground truth: MNIST has labels, no masks).
"""
from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import torch

from .score import score_latents, to_display
from ..metrics import auroc
from ..viz import image_grid, show_image, show_map


RESIDUAL_MAX = 2.0   # |x - G(z)| of images in [-1, 1]


def _residual(ax, residual_map: torch.Tensor, title: str, colorbar: bool = True):
    """|x - G(z)| [1, H, W] in [-1, 1] units, so from 0 to 2 (``colorbar=False``: a shared bar)."""
    return show_map(ax, residual_map, title, vmax=RESIDUAL_MAX, cmap="hot", colorbar=colorbar, fontsize=8)


def _truth(label) -> str:
    """The short ground-truth label of a test image: 1 -> "anomaly", 0 -> "normal"."""
    return "anomaly" if int(label) else "normal"


def _smooth(values, width: int = 10) -> np.ndarray:
    v = np.asarray(values, dtype=float)
    width = max(1, min(width, len(v) // 4))  # a short run still shows a curve
    return np.convolve(v, np.ones(width) / width, mode="valid")


def plot_losses(history: dict, title: str = "GAN training losses"):
    """L_D and L_G per iteration (moving average). Collapse shows as L_D -> 0 while L_G climbs."""
    fig, ax = plt.subplots(figsize=(7, 3.2))
    for key, label in (("d_loss", "discriminator L_D"), ("g_loss", "generator L_G")):
        ax.plot(_smooth(history[key]), label=label, marker="." if len(history[key]) < 50 else None)
    ax.axhline(2 * np.log(2), color="gray", ls=":", label="L_D when D guesses (2 ln 2)")
    ax.set(title=title, xlabel="iteration", ylabel="BCE loss (moving average)")
    ax.legend(fontsize=8)
    fig.tight_layout()
    return fig


def plot_sample_grids(history: dict, n: int = 8, title: str = "G(z) for fixed z as training goes"):
    """One row per saved epoch: the same 8 latent vectors through G. Identical rows = mode collapse."""
    samples = history["samples"]
    images = torch.cat([to_display(images[:n]) for _, images in samples])   # [rows * n, 1, H, W]
    return image_grid(images, ncols=n, suptitle=title, size=0.9,
                      row_labels=[f"epoch {epoch}" for epoch, _ in samples])


def show_images(images: torch.Tensor, title: str, n: int = 8):
    """A row of the first ``n`` images, given in [-1, 1] (``viz.image_grid`` after ``to_display``)."""
    return image_grid(to_display(images[:n]), ncols=min(n, len(images)), suptitle=title, size=1.1)


def plot_reconstructions(images: torch.Tensor, result, index, title: str = "x, G(z) and |x - G(z)|",
                         labels=None):
    """Columns of the chosen images, each titled with its ground truth (``labels``: 1 = anomaly) if
    given; rows: input x, reconstruction G(z), residual map with its score A, one shared colorbar."""
    index = list(index)
    fig, axes = plt.subplots(3, len(index), figsize=(len(index) * 1.3 + 0.5, 4.1), squeeze=False,
                             layout="constrained")
    for j, i in enumerate(index):
        show_image(axes[0, j], to_display(images[i]), _truth(labels[i]) if labels is not None else f"#{i}",
                   fontsize=8)
        show_image(axes[1, j], to_display(result.reconstructions[i]))
        im = _residual(axes[2, j], result.residual_maps[i], f"A={result.scores[i]:.3g}", colorbar=False)
    for ax, label in zip(axes[:, 0], ("x", "G(z)", "|x-G(z)|")):
        ax.set_ylabel(label)
    fig.suptitle(title)
    fig.colorbar(im, ax=axes, shrink=0.3, anchor=(0.0, 0.0), label="|x - G(z)|")   # beside the bottom row
    return fig


def plot_best_worst(images: torch.Tensor, labels, result, k: int = 4):
    """Residual heatmaps of the k most normal-looking and the k most anomalous-looking images,
    each titled with its ground truth."""
    order = torch.argsort(result.scores)
    picks = order[:k].tolist() + order[-k:].tolist()
    return plot_reconstructions(images, result, picks, f"lowest {k} scores (left), highest {k} (right)",
                                labels=torch.as_tensor(labels))


def plot_search_history(history: torch.Tensor, labels, title: str = "Latent search: L(z) per step"):
    """Mean loss per search step for normal and anomalous images (shaded: 10-90 % range)."""
    labels = torch.as_tensor(labels).bool()
    fig, ax = plt.subplots(figsize=(6, 3.2))
    steps = np.arange(len(history))
    for mask, name, color in ((~labels, "normal", "tab:blue"), (labels, "anomaly", "tab:red")):
        h = history[:, mask].numpy()
        ax.plot(steps, h.mean(1), color=color, label=name)
        ax.fill_between(steps, np.percentile(h, 10, 1), np.percentile(h, 90, 1), color=color, alpha=0.2)
    ax.set(title=title, xlabel="search step", ylabel="L(z)")
    ax.legend()
    fig.tight_layout()
    return fig


def plot_score_histogram(labels, scores, title: str = "Anomaly scores A(x)"):
    """Histograms of the scores of normal and anomalous test images, AUROC in the title."""
    labels, scores = np.asarray(labels).astype(bool), np.asarray(scores, dtype=float)
    fig, ax = plt.subplots(figsize=(6, 3.2))
    bins = np.linspace(scores.min(), scores.max(), 30)
    ax.hist(scores[~labels], bins=bins, alpha=0.6, label="normal")
    ax.hist(scores[labels], bins=bins, alpha=0.6, label="anomaly")
    ax.set(title=f"{title} (AUROC {auroc(labels, scores):.3f})", xlabel="score", ylabel="images")
    ax.legend()
    fig.tight_layout()
    return fig


def plot_auroc_by_lambda(lams, aurocs, searched_lam: float, title: str = "AnoGAN: AUROC against lambda"):
    """AUROC of (1 - λ) · residual + λ · discrimination against λ, the λ the search used marked."""
    fig, ax = plt.subplots(figsize=(6, 3.2))
    ax.plot(lams, aurocs, "o-", label="AUROC at the z found")
    ax.axvline(searched_lam, color="tab:red", linestyle="--", label=f"lambda of the search ({searched_lam:g})")
    ax.set(title=title, xlabel="lambda (0: residual only, 1: discrimination only)", ylabel="AUROC")
    ax.legend()
    fig.tight_layout()
    return fig


def _saved(path, step: int, every: int) -> int:
    """The index in ``path`` (z saved every ``every`` search steps, from step 0) of search step ``step``
    (negative: the last saved one)."""
    last = len(path) - 1
    return last if step < 0 else min(step // every, last)


def draw_search_step(G, D, images, path, image: int = 0, step: int = -1, lam: float = 0.1, every: int = 1,
                     iterations: int | None = None, labels=None):
    """x, G(z) and |x - G(z)| of one image at search step ``step`` of ``iterations`` (z saved every
    ``every`` steps in ``path``; negative: the last saved step), with its ground truth if ``labels``."""
    k = _saved(path, step, every)
    iterations = iterations if iterations is not None else (len(path) - 1) * every
    r = score_latents(G, D, images[image:image + 1], path[k][image:image + 1], lam)
    fig, axes = plt.subplots(1, 3, figsize=(7, 2.5))
    truth = f", {_truth(labels[image])}" if labels is not None else ""
    show_image(axes[0], to_display(images[image]), f"x (image {image}{truth})", fontsize=8)
    show_image(axes[1], to_display(r.reconstructions[0]), f"G(z), step {k * every} of {iterations}", fontsize=8)
    _residual(axes[2], r.residual_maps[0], f"|x - G(z)|, L={r.scores[0]:.0f}")
    fig.suptitle("Latent search explorer")
    fig.tight_layout()
    return fig


def search_explorer(G, D, images, path, lam: float = 0.1, every: int = 1, iterations: int | None = None,
                    labels=None):
    """Sliders (image, search step) over a precomputed trajectory (``search_trajectory``: z every
    ``every`` of the search's ``iterations`` steps); ``labels`` (1 = anomaly) name each image's
    ground truth. ``widgets.explorer`` draws the last step statically first and degrades without ipywidgets."""
    from ..widgets import explorer
    last = (len(path) - 1) * every
    return explorer(lambda image, step: draw_search_step(G, D, images, path, image, step, lam, every,
                                                         iterations, labels),
                    image=(0, len(images) - 1, 1, 0), step=(0, last, every, last))
