"""Figures of lecture 1 (VAE + iterative projection), and ``roc_curves`` for both lectures.  Every
figure has a title and labelled axes; images are drawn with vmin=0, vmax=1."""
from __future__ import annotations

import matplotlib.pyplot as plt
import torch

from .metrics import auroc, roc


def to_numpy_image(x: torch.Tensor):
    """[C, H, W] in [0, 1] -> [H, W, C] (or [H, W] for one channel) for ``imshow``."""
    x = x.detach().cpu().clamp(0, 1)
    return x[0].numpy() if x.shape[0] == 1 else x.permute(1, 2, 0).numpy()


def show_image(ax, x: torch.Tensor, title: str = "") -> None:
    ax.imshow(to_numpy_image(x), cmap="gray", vmin=0, vmax=1, interpolation="none")
    ax.set_title(title)
    ax.axis("off")


def show_map(ax, m: torch.Tensor, title: str = "", vmax: float | None = None) -> None:
    im = ax.imshow(m.detach().cpu().numpy(), cmap="jet", vmin=0, vmax=vmax, interpolation="none")
    ax.set_title(title)
    ax.axis("off")
    plt.colorbar(im, ax=ax, fraction=0.046)


def image_grid(images: torch.Tensor, titles=None, ncols: int = 8, suptitle: str = ""):
    """A grid of images [N, C, H, W]."""
    n = len(images)
    nrows = (n + ncols - 1) // ncols
    fig, axes = plt.subplots(nrows, ncols, figsize=(1.8 * ncols, 1.9 * nrows), squeeze=False)
    for i, ax in enumerate(axes.flat):
        if i < n:
            show_image(ax, images[i], titles[i] if titles else "")
        else:
            ax.axis("off")
    fig.suptitle(suptitle)
    fig.tight_layout()
    return fig


def reconstructions(x: torch.Tensor, x_hat: torch.Tensor, titles=None, suptitle: str = "input / f_VAE(x) / |x - f_VAE(x)|"):
    """Rows: input, reconstruction, mean absolute residual."""
    n = len(x)
    fig, axes = plt.subplots(3, n, figsize=(2.2 * n, 6.6), squeeze=False)
    for i in range(n):
        show_image(axes[0, i], x[i], titles[i] if titles else "input")
        show_image(axes[1, i], x_hat[i], "f_VAE(x)")
        show_map(axes[2, i], (x[i] - x_hat[i]).abs().mean(0), "|x - f_VAE(x)|", vmax=0.5)
    fig.suptitle(suptitle)
    fig.tight_layout()
    return fig


def loss_curve(history, title: str = "VAE training loss"):
    fig, ax = plt.subplots(figsize=(5, 3))
    ax.plot(range(1, len(history) + 1), history)
    ax.set(title=title, xlabel="epoch", ylabel="loss per image (BCE + KL)")
    fig.tight_layout()
    return fig


def trajectory(frames, steps=None, suptitle: str = "projection x_t"):
    """Chosen frames x_t of one image's projection (a list of [C, H, W])."""
    steps = steps if steps is not None else list(range(len(frames)))
    n = len(frames)
    fig, axes = plt.subplots(1, n, figsize=(2.0 * n, 2.3), squeeze=False)
    for ax, f, t in zip(axes[0], frames, steps):
        show_image(ax, f, f"t = {t}")
    fig.suptitle(suptitle)
    fig.tight_layout(rect=(0, 0, 1, 0.92))  # room for the suptitle
    return fig


def energy_curves(energies: torch.Tensor, labels=None, title: str = "energy E(x_t) during the projection"):
    """Energies [T + 1, B] (NaN after an image stopped), one line per image, each divided by E(x_0)."""
    fig, ax = plt.subplots(figsize=(5, 3))
    e = energies / energies[:1]
    for b in range(e.shape[1]):
        ax.plot(e[:, b].numpy(), label=labels[b] if labels else None)
    ax.set(title=title, xlabel="iteration t", ylabel="E(x_t) / E(x_0)")
    if labels:
        ax.legend(fontsize=7)
    fig.tight_layout()
    return fig


def localization(x0, target, maps, masks=None, titles=None, map_title: str = "anomaly map", vmax=None):
    """Columns per image; rows: input, normal-looking image, map, ground truth (if given)."""
    n = len(x0)
    rows = 4 if masks is not None else 3
    fig, axes = plt.subplots(rows, n, figsize=(2.3 * n, 2.2 * rows), squeeze=False)
    for i in range(n):
        show_image(axes[0, i], x0[i], titles[i] if titles else "x_0")
        show_image(axes[1, i], target[i], "x_T")
        show_map(axes[2, i], maps[i], map_title, vmax=vmax)
        if masks is not None:
            show_image(axes[3, i], masks[i], "ground truth")
    fig.tight_layout()
    return fig


def roc_curves(labels, scores_by_method: dict, title: str = "ROC", level: str = "image"):
    """One ROC curve per method; ``scores_by_method``: {name: (labels, scores)} or {name: scores}."""
    fig, ax = plt.subplots(figsize=(4.2, 4))
    for name, item in scores_by_method.items():
        y, s = item if isinstance(item, tuple) else (labels, item)
        fpr, tpr = roc(y, s)
        ax.plot(fpr, tpr, label=f"{name} (AUROC {auroc(y, s):.3f})")
    ax.plot([0, 1], [0, 1], "k:", lw=0.8)
    ax.set(title=f"{title} ({level} level)", xlabel="false positive rate", ylabel="true positive rate")
    ax.legend(fontsize=8, loc="lower right")
    fig.tight_layout()
    return fig


def explorer_view(x0, x_t, m, mask, threshold: float, t: int, vmax: float | None = None):
    """The explorer's figure: x_0, x_t, the anomaly map, and the map thresholded against the mask."""
    fig, axes = plt.subplots(1, 4, figsize=(11, 3))
    show_image(axes[0], x0, "x_0")
    show_image(axes[1], x_t, f"x_t (t = {t})")
    show_map(axes[2], m, "anomaly map", vmax=vmax)
    pred = (m >= threshold).float()
    overlay = torch.stack([pred, mask[0].float(), torch.zeros_like(pred)])  # red: predicted, green: truth
    show_image(axes[3], overlay, f"map >= {threshold:.3f} (red) vs truth (green)")
    fig.tight_layout()
    return fig
