"""Detection metrics shared by both lectures (scikit-learn does the counting)."""
from __future__ import annotations

import numpy as np
import torch
from sklearn.metrics import roc_auc_score, roc_curve

from .messages import say


def _flat(a) -> np.ndarray:
    if isinstance(a, torch.Tensor):
        a = a.detach().cpu().numpy()
    return np.asarray(a, dtype=np.float64).ravel()


def auroc(labels, scores) -> float | None:
    """Area under the ROC curve for labels (1 = anomaly) and scores (higher = more anomalous).

    Returns ``None`` when only one class is present (AUROC is undefined then).
    """
    y, s = _flat(labels), _flat(scores)
    if y.shape != s.shape:
        raise ValueError(f"labels and scores differ in size: {y.shape} vs {s.shape}")
    if not np.isfinite(s).all():
        raise ValueError("scores contain NaN or inf")
    if len(np.unique(y)) < 2:
        return None
    return float(roc_auc_score(y, s))


def roc(labels, scores):
    """False- and true-positive rates of the ROC curve, for plotting."""
    fpr, tpr, _ = roc_curve(_flat(labels), _flat(scores))
    return fpr, tpr


def pixel_auroc(masks, maps) -> float | None:
    """Pixel-level AUROC: every pixel of every image pooled, mask 1 = defect, map = its score.

    ``masks`` [N, 1, H, W] or [N, H, W] and ``maps`` [N, H, W] at the same (the model's) resolution.
    ``None`` when no pixel (or every pixel) is a defect.
    """
    m = masks[:, 0] if masks.ndim == 4 else masks
    if tuple(m.shape) != tuple(maps.shape):
        raise ValueError(f"masks {tuple(m.shape)} and maps {tuple(maps.shape)} differ in shape")
    return auroc(m, maps)


TIE = 0.005  # an AUROC difference smaller than this is called "level"


def versus(value: float | None, base: float | None, tol: float = TIE) -> str:
    """'value - base = +d (ahead|behind|level)' for two AUROCs of one test set (level: |d| < ``tol``),
    or 'n/a' when either is missing: the words of both lectures' printed verdicts, in the notebook's
    language (``messages``; the numbers are the same in both)."""
    if value is None or base is None:
        return say("versus_missing")
    d = value - base
    word = "level" if abs(d) < tol else "ahead" if d > 0 else "behind"
    return say("versus", value=value, base=base, diff=d, word=say(f"word_{word}"))
