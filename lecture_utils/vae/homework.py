"""Checkers for lecture 1's exercises.  Each prints what is right or what to look at and returns
True (correct), False (wrong) or None (not answered yet); none raises on a wrong answer, so a
notebook with unanswered exercises still runs.  ``report`` is shared with lecture 2's checkers."""
from __future__ import annotations

from dataclasses import replace

import torch

from ..checks import report
from .projection import ProjectionConfig, l1_term, project


def check_vae_lambda_zero(model, x_0: torch.Tensor, result, config: ProjectionConfig) -> bool | None:
    """Exercise 1: ``result`` must be ``project(model, x_0, config)`` with λ = 0 (other settings as given).

    Also prints how far x_T moved from x_0 with λ = 0 and with the lecture's λ = 0.05.
    """
    if result is None:
        return report(None)
    if config.lam != 0:
        return report(False, "", f"the config has lam={config.lam}; set lam=0.0")
    ref = project(model, x_0, config)
    if not torch.allclose(ref.x, result.x, atol=1e-4):
        return report(False, "", "x_T differs from project(model, x_0, config) with these settings")
    with_lam = project(model, x_0, replace(config, lam=0.05))
    d0, d1 = l1_term(result.x, x_0.cpu()).mean().item(), l1_term(with_lam.x, x_0.cpu()).mean().item()
    return report(True, f"||x_T - x_0||_1 = {d0:.1f} with lam = 0 and {d1:.1f} with lam = 0.05: the L1 term "
                      "keeps x_T close to x_0, so only the anomalous pixels should move.", "")


def check_vae_more_iterations(result, min_iterations: int = 200) -> bool | None:
    """Exercise 2: a projection run for at least ``min_iterations`` steps whose energy kept falling."""
    if result is None:
        return report(None)
    steps = result.energies.shape[0] - 1
    if steps < min_iterations:
        return report(False, "", f"only {steps} iterations; use at least {min_iterations}")
    e = result.energies
    first, last = e[0], e[~torch.isnan(e).all(1)][-1]
    ratio = (last / first).mean().item()
    return report(bool(ratio < 1), f"after {steps} iterations E(x_t) is {ratio:.2f} x E(x_0) on average; look at "
                                 "whether x_t keeps improving or starts to blur normal details too.",
                "the energy did not fall; is alpha too large?")


def check_vae_defect_auroc(results: dict, kind: str, answer, method: str = "kl") -> bool | None:
    """Exercise 3: the image AUROC of defect type ``kind`` (against the good images) read from ``results``."""
    table = results[method].per_defect
    if kind not in table:
        return report(False, "", f"{kind!r} is not a defect type here; choose from {sorted(table)}")
    truth = table[kind]["image_auroc"]
    if answer is None:
        return report(None)
    ok = truth is not None and abs(float(answer) - truth) < 1e-3
    return report(ok, f"image AUROC of {kind} = {truth:.3f}; compare it with the other types in the table.",
                f"{float(answer):.3f} is not the image AUROC of {kind!r} for {method}; "
                "use only the good images and the images of that type")
