"""Figures of lecture 1 (VAE + iterative projection) and its explorer.  Every
figure has a title and labelled axes, every map a colorbar and the ground truth beside it; images are
drawn with vmin=0, vmax=1."""
from __future__ import annotations

import matplotlib.pyplot as plt
import torch

from ..viz import show_image, show_map, show_truth
from ..widgets import explorer


def _label_rows(axes, labels) -> None:
    """Short row labels on the left of a grid of panels (the columns carry the image's type)."""
    for ax, label in zip(axes[:, 0], labels):
        ax.set_ylabel(label)


def reconstructions(x: torch.Tensor, x_hat: torch.Tensor, titles=None, masks=None,
                    suptitle: str = "reconstruction f_VAE(x) and residual"):
    """Columns per image; rows: input, reconstruction, mean absolute residual, ground truth (if given)."""
    n = len(x)
    rows = 3 if masks is None else 4
    fig, axes = plt.subplots(rows, n, figsize=(2.2 * n, 2.2 * rows), squeeze=False)
    for i in range(n):
        show_image(axes[0, i], x[i], titles[i] if titles else "")
        show_image(axes[1, i], x_hat[i])
        show_map(axes[2, i], (x[i] - x_hat[i]).abs().mean(0), vmax=0.5)
        if masks is not None:
            show_truth(axes[3, i], masks[i], "")
    _label_rows(axes, ["x", "f_VAE(x)", "|x - f_VAE(x)|", "ground truth"])
    fig.suptitle(suptitle)
    fig.tight_layout()
    return fig


def loss_curve(history, title: str = "VAE training loss"):
    fig, ax = plt.subplots(figsize=(5, 3))
    ax.plot(range(1, len(history) + 1), history)
    ax.set(title=title, xlabel="epoch", ylabel="loss per image (BCE + KL)")
    fig.tight_layout()
    return fig


def trajectory(frames, steps=None, suptitle: str = "projection x_t", ncols: int = 3, size: float = 3.2):
    """Chosen frames x_t of one image's projection (a list of [C, H, W]), ``ncols`` per row and
    ``size`` inches each: large enough to see the print and the defect change."""
    steps = steps if steps is not None else list(range(len(frames)))
    n = len(frames)
    ncols = min(ncols, n)
    nrows = (n + ncols - 1) // ncols
    fig, axes = plt.subplots(nrows, ncols, figsize=(size * ncols, (size + 0.3) * nrows + 0.3), squeeze=False)
    for k, ax in enumerate(axes.flat):
        if k < n:
            show_image(ax, frames[k], f"t = {steps[k]}")
        else:
            ax.axis("off")
    fig.suptitle(suptitle)
    fig.tight_layout()
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


def auroc_against_t(by_t: dict, plain: float, T: int, title: str = "pixel AUROC against t"):
    """The pixel AUROC of the map |x_0 - x_t| against the iteration t (``by_t``: {t: AUROC}), the plain
    residual's (dotted) and the lecture's T (dashed).  At t = 0, x_t = x_0: the map is 0, every pixel
    ties and the AUROC is 1/2 by construction; that point is drawn apart (a marker on the lower edge,
    named in the legend, when it lies below the rest), so the axis spans the values of t >= 1 and
    their trend is readable."""
    fig, ax = plt.subplots(figsize=(6.4, 4.2))
    later = {t: v for t, v in by_t.items() if t > 0}
    ax.plot(list(later), list(later.values()), marker="o", label="kl projection, map |x_0 - x_t|")
    ax.axhline(plain, color="gray", linestyle=":", label="plain residual |x_0 - f_VAE(x_0)|")
    ax.axvline(T, color="red", linestyle="--", label=f"lecture's T = {T}")
    ax.margins(y=0.15)
    if 0 in by_t:
        _t0_apart(ax, by_t[0])
    ax.set(title=title, xlabel="iteration t", ylabel="pixel AUROC")
    ax.legend(fontsize=8)
    fig.tight_layout()
    return fig


def _t0_apart(ax, value: float) -> None:
    """The t = 0 point, named in the legend: in place if it lies within the axis, else a marker on the
    edge it lies beyond (the axis keeps the range of the other points)."""
    low, high = ax.get_ylim()
    label = f"t = 0: {value:.3f} (x_t = x_0, all pixels tie)"
    if low <= value <= high:
        ax.plot([0], [value], marker="s", color="gray", linestyle="none", label=label)
        return
    below = value < low
    ax.plot([0], [0 if below else 1], marker="v" if below else "^", color="gray", markersize=10, linestyle="none",
            transform=ax.get_xaxis_transform(), clip_on=False,   # x in data, y on the axis' edge
            label=f"{label}, {'below' if below else 'above'} this scale")
    ax.set_ylim(low, high)


def localization(x0, target, maps: dict, masks, titles=None, suptitle: str = "anomaly maps",
                 target_name: str = "x_T"):
    """Columns per image; rows: input, normal-looking image, one row per map of ``maps``
    ({row label: [N, H, W]}, each row on its own colour scale) and the ground truth."""
    n = len(x0)
    rows = 3 + len(maps)
    fig, axes = plt.subplots(rows, n, figsize=(2.4 * n, 2.2 * rows), squeeze=False)
    for i in range(n):
        show_image(axes[0, i], x0[i], titles[i] if titles else "")
        show_image(axes[1, i], target[i])
        for row, m in enumerate(maps.values(), 2):
            show_map(axes[row, i], m[i], vmax=float(m.max()))
        show_truth(axes[-1, i], masks[i], "")
    _label_rows(axes, ["x_0", target_name, *maps, "ground truth"])
    fig.suptitle(suptitle)
    fig.tight_layout()
    return fig


def explorer_view(x0, x_t, m, mask, threshold: float, t: int, vmax: float | None = None,
                  method: str = "kl", title: str = ""):
    """The explorer's figure: x_0, x_t, the method's anomaly map, and the map thresholded against the
    ground truth (red: flagged, green: truth, yellow: both)."""
    fig, axes = plt.subplots(1, 4, figsize=(12, 3.4))
    show_image(axes[0], x0, "x_0")
    show_image(axes[1], x_t, f"x_t (t = {t})")
    show_map(axes[2], m, f"{method} map", vmax=vmax)
    pred = (m >= threshold).float()
    overlay = torch.stack([pred, mask[0].float(), torch.zeros_like(pred)])  # red: predicted, green: truth
    show_image(axes[3], overlay, f"map >= {threshold:.3g} (red), truth (green)")
    fig.suptitle(title or f"{method} projection")
    fig.tight_layout()
    return fig


def good_threshold(maps: torch.Tensor, defects, quantile: float = 0.99) -> float:
    """The ``quantile`` of the map values [N, H, W] of the good images (all images if none is good):
    a threshold that flags 1 - ``quantile`` of the pixels of a normal capsule."""
    good = torch.tensor([d == "good" for d in defects])
    values = maps[good] if good.any() else maps
    return float(torch.quantile(values.flatten().float()[:2 ** 24], quantile))


def detected(m: torch.Tensor, mask: torch.Tensor, threshold: float) -> float:
    """The share of the defect's pixels (``mask`` [1, H, W]) whose map value ``m`` [H, W] is at or
    above ``threshold``: 0 when the threshold flags no pixel of the defect."""
    truth = mask[0] > 0
    return float((m[truth] >= threshold).float().mean()) if truth.any() else 0.0


def vae_explorer(test, results: dict, trajectories: dict, indices, method: str = "kl", quantile: float = 0.99):
    """Lecture 1: pick an image, an iteration t and a threshold on the anomaly map of ``method``.

    ``results``: {method: evaluate.MethodResult}; ``trajectories``: {test index: list of x_t [C, H, W]}
    for the images in ``indices``. The threshold starts at the ``quantile`` of the good test images'
    maps (:func:`good_threshold`), as the title says; the defective images come first, the one whose
    defect that threshold flags most (:func:`detected`) at the top, so the default shows a detection
    whenever this run has one.
    """
    r = results[method]
    top = float(r.maps.max())
    start = good_threshold(r.maps, test.defects, quantile)
    order = sorted(indices, key=lambda i: (test.defects[i] == "good", -detected(r.maps[i], test.masks[i], start)))
    names = [f"{i}: {test.defects[i]}" for i in order]

    def draw(image, t, threshold):
        i = int(image.split(":")[0])
        frames = trajectories[i]
        t = min(t, len(frames) - 1)
        title = (f"{method} projection, {test.defects[i]} image | default threshold {start:.3g} = "
                 f"{100 * quantile:g}th percentile of the good images' map")
        return explorer_view(test.images[i], frames[t], r.maps[i], test.masks[i], threshold, t, vmax=top,
                             method=method, title=title)

    longest = max(len(f) for f in trajectories.values()) - 1
    step = max(top / 200, 1e-6)
    return explorer(draw, image=names, t=(0, longest, 1, longest),
                    threshold=(0.0, top, step, min(start, top)))


def frames_of(trajectory: list, index: int) -> list[torch.Tensor]:
    """One image's frames x_0, x_1, ... from a batched trajectory (list of [B, C, H, W])."""
    return [x[index] for x in trajectory]
