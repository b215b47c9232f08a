"""Figures of lecture 1 (VAE + iterative projection) and its explorer.  Every
figure has a title and labelled axes; images are drawn with vmin=0, vmax=1."""
from __future__ import annotations

import matplotlib.pyplot as plt
import torch

from ..viz import show_image, show_map
from ..widgets import explorer


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


def vae_explorer(test, results: dict, trajectories: dict, indices, method: str = "kl"):
    """Lecture 1: pick an image, an iteration t and a threshold on the anomaly map.

    ``results``: {method: evaluate.MethodResult}; ``trajectories``: {test index: list of x_t [C, H, W]}
    for the images in ``indices``.
    """
    r = results[method]
    top = float(r.maps.max())
    names = [f"{i}: {test.defects[i]}" for i in indices]

    def draw(image, t, threshold):
        i = int(image.split(":")[0])
        frames = trajectories[i]
        t = min(t, len(frames) - 1)
        return explorer_view(test.images[i], frames[t], r.maps[i], test.masks[i], threshold, t, vmax=top)

    longest = max(len(f) for f in trajectories.values()) - 1
    return explorer(draw, image=names, t=(0, longest, 1, longest),
                    threshold=(0.0, round(top, 3), round(top / 100, 4), round(top / 2, 3)))


def frames_of(trajectory: list, index: int) -> list[torch.Tensor]:
    """One image's frames x_0, x_1, ... from a batched trajectory (list of [B, C, H, W])."""
    return [x[index] for x in trajectory]
