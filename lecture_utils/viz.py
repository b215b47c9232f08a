"""Figures both lectures share: one tensor -> image conversion, one image grid, one ROC plot.

Images are drawn with ``vmin=0, vmax=1`` (in [0, 1]; the GAN's [-1, 1] images are converted by
``anogan.score.to_display`` first); every figure has a title and labelled axes, every map its colour
scale (a colorbar), and a map of a test image has the ground truth beside it.
"""
from __future__ import annotations

import matplotlib.pyplot as plt
import torch

from .metrics import auroc, roc


def to_numpy_image(x: torch.Tensor):
    """[C, H, W] in [0, 1] -> [H, W, C] (or [H, W] for one channel) for ``imshow``."""
    x = x.detach().cpu().float().clamp(0, 1)
    return x[0].numpy() if x.shape[0] == 1 else x.permute(1, 2, 0).numpy()


def _bare(ax, title: str, fontsize=None) -> None:
    """Title, no ticks and no frame (unlike ``axis('off')``, a row label set later still shows)."""
    ax.set_title(title, fontsize=fontsize)
    ax.set_xticks([])
    ax.set_yticks([])
    for spine in ax.spines.values():
        spine.set_visible(False)


def show_image(ax, x: torch.Tensor, title: str = "", fontsize=None) -> None:
    """One image [C, H, W] in [0, 1], drawn with vmin=0, vmax=1."""
    ax.imshow(to_numpy_image(x), cmap="gray", vmin=0, vmax=1, interpolation="none")
    _bare(ax, title, fontsize)


def show_map(ax, m: torch.Tensor, title: str = "", vmax: float | None = None, cmap: str = "jet",
             colorbar: bool = True, fontsize=None):
    """One map [H, W] (or [1, H, W]) of values >= 0, from 0 to ``vmax`` (None: its maximum), with its
    colorbar (``colorbar=False``: the caller draws one shared bar from the returned image)."""
    m = m.detach().cpu().float()
    im = ax.imshow((m[0] if m.dim() == 3 else m).numpy(), cmap=cmap, vmin=0, vmax=vmax, interpolation="none")
    _bare(ax, title, fontsize)
    if colorbar:
        plt.colorbar(im, ax=ax, fraction=0.046)
    return im


def show_truth(ax, mask: torch.Tensor, title: str = "ground truth", fontsize=None) -> None:
    """A ground-truth mask [1, H, W] (white = defect), beside the maps it judges."""
    show_image(ax, mask.float(), title, fontsize)


def image_grid(images: torch.Tensor, titles=None, ncols: int = 8, suptitle: str = "", row_labels=None,
               fontsize=None, size: float = 1.8):
    """A grid of images [N, C, H, W] in [0, 1], ``ncols`` per row, each with its title (if given)
    and each row with its label (if given); ``size``: inches per image."""
    n = len(images)
    nrows = (n + ncols - 1) // ncols
    fig, axes = plt.subplots(nrows, ncols, figsize=(size * ncols, (size + 0.1) * nrows + 0.3), squeeze=False)
    for i, ax in enumerate(axes.flat):
        if i < n:
            show_image(ax, images[i], titles[i] if titles is not None else "", fontsize)
        else:
            ax.axis("off")
    for ax, label in zip(axes[:, 0], row_labels or []):
        ax.set_ylabel(label)
    fig.suptitle(suptitle)
    fig.tight_layout()
    return fig


def roc_curves(labels, scores_by_method: dict, title: str = "ROC", level: str = "image", ax=None):
    """One ROC curve per method; ``scores_by_method``: {name: (labels, scores)} or {name: scores}.
    Drawn on ``ax`` if given (e.g. image and pixel level side by side), else on a new figure."""
    fig, ax = plt.subplots(figsize=(4.2, 4)) if ax is None else (ax.figure, ax)
    for name, item in scores_by_method.items():
        y, s = item if isinstance(item, tuple) else (labels, item)
        fpr, tpr = roc(y, s)
        ax.plot(fpr, tpr, label=f"{name} (AUROC {auroc(y, s):.3f})")
    ax.plot([0, 1], [0, 1], "k:", lw=0.8)
    ax.set(title=f"{title} ({level} level)", xlabel="false positive rate", ylabel="true positive rate")
    ax.legend(fontsize=8, loc="lower right")
    fig.tight_layout()
    return fig
