"""Figures of the datasets notebook: example images per type with their masks, digits, the
spread of the normal training images, and a detector's scores by defect type."""
from __future__ import annotations

import matplotlib.pyplot as plt
import torch

from .mvtec import ImageSet
from ..viz import image_grid, show_image, show_map, to_numpy_image


def show_types_with_masks(images: ImageSet, title: str, per_type: int = 1):
    """One column per type (``good`` first): the image, its ground-truth mask (white = defect), and
    the mask's outline drawn in red on the image."""
    idx = sorted(images.first_per_type(per_type), key=lambda i: images.defects[i] != "good")
    fig, axes = plt.subplots(3, len(idx), figsize=(2.1 * len(idx), 6.6), squeeze=False)
    for col, i in enumerate(idx):
        mask = images.masks[i]                                         # [1, H, W]
        show_image(axes[0, col], images.images[i], images.defects[i])
        show_image(axes[1, col], mask)
        show_image(axes[2, col], images.images[i])
        if mask.any():
            axes[2, col].contour(mask[0].numpy(), levels=[0.5], colors="red", linewidths=1.2)
    for row, label in enumerate(["image", "mask", "image + mask"]):
        axes[row, 0].set_ylabel(label)
    fig.suptitle(title)
    fig.tight_layout()
    return fig


def show_grid(images: ImageSet, title: str, n: int = 8):
    """The first ``n`` images of a set in a row, each titled with its type (``viz.image_grid``)."""
    k = min(n, len(images))
    return image_grid(images.images[:k], images.defects[:k], ncols=n, suptitle=title, fontsize=9, size=1.6)


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
                show_image(ax, images.images[picks[c]], f"'{images.defects[picks[c]]}'", fontsize=9)
            else:
                ax.axis("off")
        axes[r, 0].set_ylabel(name)
    fig.suptitle(f"Digits ({sets.source}): train on normal digits only, test on both")
    fig.tight_layout()
    return fig


def show_mean_and_spread(images: ImageSet, title: str):
    """Mean training image and per-pixel standard deviation: where normal images vary."""
    x = images.images.float()                                          # [N, C, H, W]
    mean, std = x.mean(0), x.std(0).mean(0)                            # [C, H, W], [H, W]
    fig, axes = plt.subplots(1, 2, figsize=(8, 3.8))
    axes[0].imshow(to_numpy_image(mean), cmap="gray", vmin=0, vmax=1)
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


def show_scores_by_type(scores, maps, defects, title: str):
    """A detector's results on the test set. Left: each image's score [N] as a dot in the column of its
    type (``good`` first), the highest score of a good image dashed (the lowest threshold that flags no
    good image). Right: the mean of the good images' maps [N, H, W]: where normal images look unusual."""
    types = sorted(set(defects), key=lambda t: (t != "good", t))
    scores, good = torch.as_tensor(scores).float(), torch.tensor([d == "good" for d in defects])
    fig, (left, right) = plt.subplots(1, 2, figsize=(10, 3.8), gridspec_kw={"width_ratios": [1.6, 1]})
    for col, kind in enumerate(types):
        ys = scores[[d == kind for d in defects]]
        xs = col + torch.linspace(-0.2, 0.2, len(ys)) if len(ys) > 1 else torch.full((1,), float(col))
        left.plot(xs, ys, "o", alpha=0.6, color="tab:blue" if kind == "good" else "tab:red")
    left.axhline(float(scores[good].max()), color="gray", linestyle="--", label="highest score of a good image")
    left.set_xticks(range(len(types)), types, rotation=30)
    left.set(xlabel="test images by type", ylabel="image score")
    left.legend(loc="upper left", fontsize=8)
    show_map(right, maps[good].mean(0), "mean map of the good test images")
    fig.suptitle(title)
    fig.tight_layout()
    return fig
