"""Lecture 1 on the whole test set: image and pixel AUROC, per defect type, for each method.

* ``residual``: the plain reconstruction, map of x_0 against f_VAE(x_0);
* ``lecture``: the lecture's projection (MSE energy, reconstruction detached), map of x_0 against x_T;
* ``paper``: Dehaene et al.'s projection (E = L_VAE + λ‖x_t − x_0‖₁ through the VAE), x_0 against x_T;
* ``kl``: the same with the image's entropy removed from the BCE (E = L_VAE − H(x_t) + λ‖x_t − x_0‖₁,
  ``projection.kl_energy``), the default.

Pixel AUROC pools every test pixel at the model's resolution (masks resized by nearest neighbour,
as ``data.mvtec.load_split`` does).  With ``reference`` good images (from the training set), every map
is compared with the maps of good images at the same pixel (``localization.normalize``) before
its maximum becomes the image score; the maps themselves (pixel AUROC) stay raw.
"""
from __future__ import annotations

import time
from dataclasses import dataclass, field, replace

import torch

from ..config import pick
from ..messages import columns, say
from .localization import anomaly_map, fit_normalizer, image_scores, normalize, smooth
from ..metrics import TIE, auroc, pixel_auroc, versus
from .model import reconstruct
from .projection import ENERGIES, ProjectionConfig, project, project_all

METHODS = ("residual", *ENERGIES)           # every method evaluate() accepts
DEFAULT_METHODS = ("residual", "lecture", "kl")  # what the notebook and ``vae evaluate`` run by default


@dataclass
class EvalConfig:
    """How maps and scores are made: ``map_kind`` ('residual' or 'dssim') blurred by a Gaussian of
    ``sigma`` pixels (the maps of pixel AUROC); the image ``score`` ('max', 'mean', 'mean_top1pct') of the
    map blurred by ``score_sigma`` and normalised by ``reference`` good training images (0: raw);
    and the projection's settings.  Chosen on the synthetic capsule, never on a real test set."""
    projection: ProjectionConfig = field(default_factory=ProjectionConfig)
    map_kind: str = "residual"
    sigma: float = 4.0
    score: str = "max"
    score_sigma: float = 2.0
    reference: int = field(default_factory=lambda: pick(40, 4))
    batch_size: int = 8  # images per projection batch: 8 is fastest on a CPU; use 64+ on a GPU


@dataclass
class MethodResult:
    """One method on one test set: the normal-looking images, maps [N, H, W], scores [N] and AUROCs."""
    target: torch.Tensor
    maps: torch.Tensor
    scores: torch.Tensor
    image_auroc: float | None
    pixel_auroc: float | None
    per_defect: dict
    seconds: float


def normal_images(model, images, method: str, config: EvalConfig, progress: bool = True) -> torch.Tensor:
    """The image each method compares x_0 with: f_VAE(x_0), or x_T of the projection with that energy."""
    if method == "residual":
        return reconstruct(model, images, config.batch_size)
    if method not in METHODS:
        raise ValueError(f"method must be one of {METHODS}, got {method!r}")
    proj = replace(config.projection, energy=method)
    return project_all(model, images, proj, config.batch_size, progress).x


def per_defect(labels, defects, scores, masks, maps, has_masks: bool) -> dict:
    """Image and pixel AUROC of each defect type against the good images."""
    table = {}
    good = [d == "good" for d in defects]
    for kind in sorted(set(defects) - {"good"}):
        keep = torch.tensor([g or d == kind for g, d in zip(good, defects)])
        table[kind] = {"n": int(sum(d == kind for d in defects)),
                       "image_auroc": auroc(labels[keep], scores[keep]),
                       "pixel_auroc": pixel_auroc(masks[keep], maps[keep]) if has_masks else None}
    return table


def reference_images(train_images: torch.Tensor, n: int) -> torch.Tensor:
    """``n`` good images spread evenly over the training set (for ``EvalConfig.reference``)."""
    n = min(n, len(train_images))
    return train_images[torch.linspace(0, len(train_images) - 1, n).long()] if n > 0 else train_images[:0]


def evaluate_method(model, test, method: str, config: EvalConfig | None = None, progress: bool = True,
                    reference: torch.Tensor | None = None) -> MethodResult:
    """Score every image of ``test`` (a ``data.mvtec.ImageSet``) with one method; ``reference``: good
    images [R, C, H, W] whose maps normalise the test maps before scoring (None: raw maps)."""
    config = config or EvalConfig()
    start = time.perf_counter()
    target = normal_images(model, test.images, method, config, progress)
    raw = anomaly_map(test.images, target, config.map_kind, sigma=0)  # [N, H, W], computed once
    maps, scored = smooth(raw, config.sigma), smooth(raw, config.score_sigma)
    if reference is not None and len(reference) > 1:  # the image score asks: unusual for this pixel?
        ref_target = normal_images(model, reference, method, config, progress)
        scored = normalize(scored, fit_normalizer(anomaly_map(reference, ref_target, config.map_kind,
                                                              config.score_sigma)))
    scores = image_scores(scored, config.score)  # [N]
    pix = pixel_auroc(test.masks, maps) if test.has_masks else None
    table = per_defect(test.labels, test.defects, scores, test.masks, maps, test.has_masks)
    return MethodResult(target, maps, scores, auroc(test.labels, scores), pix, table,
                        time.perf_counter() - start)


def evaluate(model, test, config: EvalConfig | None = None, methods=DEFAULT_METHODS, progress: bool = True,
             train_images: torch.Tensor | None = None) -> dict:
    """All ``methods`` on ``test``: ``{method: MethodResult}``.  With ``train_images``,
    ``config.reference`` of them normalise the maps."""
    config = config or EvalConfig()
    ref = None if train_images is None else reference_images(train_images, config.reference)
    return {m: evaluate_method(model, test, m, config, progress, ref) for m in methods}


def pixel_auroc_by_iteration(model, test, steps, config: EvalConfig | None = None) -> dict:
    """``{t: pixel AUROC}`` of the maps of x_0 against x_t (``config``'s map kind and blur, its energy)
    for each t of ``steps``, from one projection of max(steps) iterations, ``config.batch_size`` images
    at a time (only the frames at ``steps`` are kept). t = 0: x_t = x_0, every map is 0, every pixel
    ties and the AUROC is 0.5; t = ``config.projection.iterations`` gives ``evaluate_method``'s maps."""
    config = config or EvalConfig()
    steps = sorted(set(int(t) for t in steps))
    proj = replace(config.projection, iterations=max(steps))
    maps = {t: [] for t in steps}
    for i in range(0, len(test.images), config.batch_size):
        x_0 = test.images[i:i + config.batch_size]
        frames = project(model, x_0, proj, record=True).trajectory         # x_0 ... x_T' on the CPU
        for t in steps:                                                     # an image that stopped keeps its x_t
            maps[t].append(anomaly_map(x_0, frames[min(t, len(frames) - 1)], config.map_kind, config.sigma))
    return {t: pixel_auroc(test.masks, torch.cat(maps[t])) for t in steps}


def _fmt(v) -> str:
    return "  -  " if v is None else f"{v:.3f}"


def comparison_table(results: dict) -> str:
    """Text table: one row per method, image and pixel AUROC (the header in the notebook's language)."""
    lines = [columns((say("col_method"), 10, False), (say("col_image"), 11, True), (say("col_pixel"), 11, True),
                     (say("col_seconds"), 8, True))]
    for m, r in results.items():
        lines.append(f"{m:<10} {_fmt(r.image_auroc):>11} {_fmt(r.pixel_auroc):>11} {r.seconds:8.1f}")
    return "\n".join(lines)


def defect_table(result: MethodResult) -> str:
    """Text table: one row per defect type, image and pixel AUROC against the good images."""
    lines = [columns((say("col_defect"), 16, False), (say("col_n"), 3, True), (say("col_image"), 11, True),
                     (say("col_pixel"), 11, True))]
    for kind, row in result.per_defect.items():
        lines.append(f"{kind:<16} {row['n']:>3} {_fmt(row['image_auroc']):>11} {_fmt(row['pixel_auroc']):>11}")
    return "\n".join(lines)


# how good an image AUROC is: the first band it reaches (0.75: the project's target, benchmarks/RESULTS_vae.md)
IMAGE_GRADES = ((0.90, "strong"), (0.75, "usable"), (0.60, "weak"), (float("-inf"), "near chance"))


def image_grade(value: float) -> str:
    """The first of ``IMAGE_GRADES`` whose lower bound ``value`` reaches."""
    return next(word for bound, word in IMAGE_GRADES if value >= bound)


def _grade_word(word: str) -> str:
    """A word of ``IMAGE_GRADES`` in the notebook's language."""
    return say("grade_" + word.replace(" ", "_"))


def verdict_lines(results: dict, data: str, base: str = "residual", projections=("kl", "lecture"),
                  tol: float = TIE) -> list[str]:
    """What *this run's* ``results`` ({method: MethodResult}) say, in the notebook's language: the data
    (``data``, e.g. ``sources.describe``) and test set size; for each projection, its pixel and image
    AUROC minus ``base``'s (ahead / behind, level within ``tol``); and how good the best image AUROC
    is (IMAGE_GRADES)."""
    any_result = next(iter(results.values()))
    defective = sum(row["n"] for row in any_result.per_defect.values())
    lines = [say("this_run_capsule", data=data, n=len(any_result.scores), defective=defective)]
    for m in (p for p in projections if p in results and base in results):
        r, b = results[m], results[base]
        lines.append(say("versus_both", new=m, old=base, pixel=versus(r.pixel_auroc, b.pixel_auroc, tol),
                         image=versus(r.image_auroc, b.image_auroc, tol)))
    scored = {m: r.image_auroc for m, r in results.items() if r.image_auroc is not None}
    if scored:
        best = max(scored, key=scored.get)
        bands = {word.replace(" ", "_"): bound for bound, word in IMAGE_GRADES[:-1]}
        lines.append(say("image_grade", auroc=scored[best], method=best, grade=_grade_word(image_grade(scored[best])),
                         **{k: _grade_word(k) for k in bands}, **{f"{k}_from": b for k, b in bands.items()}))
    return lines


def sweep_lines(by_t: dict, lecture_t: int, plain: float, n: int) -> list[str]:
    """The lines of lecture 1's t-sweep (``pixel_auroc_by_iteration``): the pixel AUROC at each t (the
    lecture's T marked), the plain residual's on the same ``n`` images, and the change from T to 2T."""
    lines = [say("sweep_t_lecture" if t == lecture_t else "sweep_t", t=t, auroc=value) for t, value in by_t.items()]
    lines.append(say("sweep_plain", n=n, auroc=plain))
    if 2 * lecture_t in by_t:
        lines.append(say("sweep_change", change=by_t[2 * lecture_t] - by_t[lecture_t]))
    return lines
