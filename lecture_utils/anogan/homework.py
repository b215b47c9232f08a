"""Checks for the AnoGAN lecture's homework. Each ``check_*`` prints what it found and returns
True (correct), False (wrong: the message says what to look at) or None (not answered yet).

1. λ: re-weigh the two terms of A(x) = (1 - λ)·residual + λ·discrimination (λ = 0 and 1).
2. Another anomaly digit: the fast encoder's AUROC with another digit as the anomaly.
3. Fewer search steps: the search's AUROC after K steps.
"""
from __future__ import annotations

import math

import torch

from . import score, search
from ..checks import report
from ..metrics import auroc


def rescore_reference(result, lam: float) -> torch.Tensor:
    """A(x) for another λ from the two terms the search kept (the z found for λ = 0.1 is reused)."""
    return score.combine(result.residual, result.discrimination, lam)


def check_rescore(rescore) -> bool | None:
    """Exercise 1: ``rescore(result, lam)`` returns [N] scores for any λ."""
    if rescore is None:
        return report(None)
    fake = score.SearchResult(torch.tensor([0.0, 0.0]), torch.tensor([10.0, 20.0]), torch.tensor([100.0, 50.0]),
                               *(torch.zeros(2, 1),) * 3, torch.zeros(1, 2), 0.0)
    try:
        ok = all(torch.allclose(torch.as_tensor(rescore(fake, lam), dtype=torch.float32),
                                rescore_reference(fake, lam)) for lam in (0.0, 0.1, 1.0))
    except Exception as e:  # a student's bug: report it, never crash the notebook
        return report(False, "", f"rescore raised {type(e).__name__}: {e}")
    return report(ok, "lambda = 0 keeps only the residual, lambda = 1 only the discrimination term.",
                   "A(x) = (1 - lam) * result.residual + lam * result.discrimination")


def check_anomaly_digit(digit, value, E, G, D, test_images: torch.Tensor, test_labels) -> bool | None:
    """Exercise 2: ``value`` is the encoder AUROC on ``test_images`` whose anomalies are ``digit``."""
    if digit is None or value is None:
        return report(None)
    expected = auroc(test_labels, score.encoder_scores(E, G, D, test_images).scores)
    ok = math.isclose(float(value), expected, abs_tol=1e-4)
    return report(ok, f"anomaly digit {digit}: encoder AUROC {expected:.3f}.",
                   f"recompute encoder_scores(E, G, D, test_images).scores and its AUROC (expected {expected:.3f})")


def check_search_steps(steps, aurocs, G, D, test_images: torch.Tensor, test_labels, lr: float, seed: int = 0) -> bool | None:
    """Exercise 3: ``aurocs[i]`` is the search's AUROC after ``steps[i]`` steps (lr and seed as given).
    The smallest step count is recomputed and compared."""
    if steps is None or aurocs is None:
        return report(None)
    if len(steps) != len(aurocs) or not all(0 <= a <= 1 for a in aurocs):
        return report(False, "", "give one AUROC in [0, 1] per step count")
    k = min(range(len(steps)), key=lambda i: steps[i])
    cfg = search.SearchConfig(iterations=int(steps[k]), lr=lr, seed=seed)
    expected = auroc(test_labels, search.latent_search(G, D, test_images, cfg, progress=False).scores)
    ok = math.isclose(float(aurocs[k]), expected, abs_tol=1e-3)
    return report(ok, f"{steps[k]} steps give AUROC {expected:.3f}; compare how fast it levels off.",
                   f"after {steps[k]} steps the AUROC should be {expected:.3f}, got {aurocs[k]:.3f}")
