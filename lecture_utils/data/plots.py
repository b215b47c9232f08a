"""Figures of the datasets notebook: example images per type with their masks, digits, and the
spread of the normal training images."""
from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np

from .mvtec import ImageSet


def _rgb(image) -> np.ndarray:
    """``[C, H, W]`` tensor in [0, 1] -> ``[H, W, 3]`` array for imshow."""
    a = image.detach().cpu().float().numpy()
    return np.repeat(a, 3, axis=0).transpose(1, 2, 0) if a.shape[0] == 1 else a.transpose(1, 2, 0)


def first_of_each_type(images: ImageSet, per_type: int = 1) -> list[int]:
    """Indices of the first ``per_type`` images of every type, ``good`` first."""
    order = sorted(set(images.defects), key=lambda d: (d != "good", d))
    return [i for d in order for i in [j for j, x in enumerate(images.defects) if x == d][:per_type]]


def show_types_with_masks(images: ImageSet, title: str, per_type: int = 1):
    """One column per type: the image, its ground-truth mask (white = defect), and the mask's
    outline drawn in red on the image."""
    idx = first_of_each_type(images, per_type)
    fig, axes = plt.subplots(3, len(idx), figsize=(2.1 * len(idx), 6.6), squeeze=False)
    for col, i in enumerate(idx):
        image, mask = _rgb(images.images[i]), images.masks[i, 0].numpy()
        axes[0, col].imshow(image, vmin=0, vmax=1)
        axes[0, col].set_title(images.defects[i])
        axes[1, col].imshow(mask, cmap="gray", vmin=0, vmax=1)
        axes[2, col].imshow(image, vmin=0, vmax=1)
        if mask.any():
            axes[2, col].contour(mask, levels=[0.5], colors="red", linewidths=1.2)
    for row, label in enumerate(["image", "mask", "image + mask"]):
        axes[row, 0].set_ylabel(label)
    for ax in axes.flat:
        ax.set_xticks([])
        ax.set_yticks([])
    fig.suptitle(title)
    fig.tight_layout()
    return fig


def show_grid(images: ImageSet, title: str, n: int = 8, rows: int = 1, labels: bool = True):
    """The first ``n * rows`` images in a grid, each titled with its type."""
    fig, axes = plt.subplots(rows, n, figsize=(1.6 * n, 1.8 * rows + 0.5), squeeze=False)
    for k, ax in enumerate(axes.flat):
        if k < len(images):
            ax.imshow(_rgb(images.images[k]), vmin=0, vmax=1)
            if labels:
                ax.set_title(images.defects[k], fontsize=9)
        ax.axis("off")
    fig.suptitle(title)
    fig.tight_layout()
    return fig


def show_digit_sets(sets, n: int = 8):
    """Three rows: normal training digits, normal test digits, anomaly test digits."""
    test = sets.test
    rows = [("train (normal)", sets.train, range(len(sets.train))),
            ("test, normal", test, (test.labels == 0).nonzero().flatten().tolist()),
            ("test, anomaly", test, (test.labels == 1).nonzero().flatten().tolist())]
    fig, axes = plt.subplots(3, n, figsize=(1.4 * n, 4.8), squeeze=False)
    for r, (name, images, idx) in enumerate(rows):
        picks = list(idx)[:: max(1, len(idx) // n)][:n]
        for c, ax in enumerate(axes[r]):
            if c < len(picks):
                ax.imshow(images.images[picks[c], 0].numpy(), cmap="gray", vmin=0, vmax=1)
                ax.set_title(f"'{images.defects[picks[c]]}'", fontsize=9)
            ax.set_xticks([])
            ax.set_yticks([])
        axes[r, 0].set_ylabel(name)
    fig.suptitle(f"Digits ({sets.source}): train on normal digits only, test on both")
    fig.tight_layout()
    return fig


def show_mean_and_spread(images: ImageSet, title: str):
    """Mean training image and per-pixel standard deviation: where normal images vary."""
    x = images.images.float()                                          # [N, C, H, W]
    mean, std = x.mean(0), x.std(0).mean(0)                            # [C, H, W], [H, W]
    fig, axes = plt.subplots(1, 2, figsize=(8, 3.8))
    axes[0].imshow(_rgb(mean), vmin=0, vmax=1)
    axes[0].set_title("mean of the training images")
    im = axes[1].imshow(std.numpy(), cmap="magma", vmin=0, vmax=max(float(std.max()), 1e-6))
    axes[1].set_title("pixel standard deviation")
    fig.colorbar(im, ax=axes[1], fraction=0.046, label="std (intensity)")
    for ax in axes:
        ax.set_xlabel("x (pixel)")
        ax.set_ylabel("y (pixel)")
    fig.suptitle(title)
    fig.tight_layout()
    return fig
