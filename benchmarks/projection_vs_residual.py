"""Does the iterative projection localise defects better than the plain reconstruction residual?

An ablation of lecture 1 on a real MVTec-layout capsule folder, in three steps:

1. ``train``: the lecture's VAE (``VAEConfig`` defaults: 100 epochs, no augmentation) on the
   training images *except* every 5th, which is held out for tuning (cached under --cache);
2. ``tune``: every setting (energy, α, λ, iterations; map, smoothing σ, normalisation) is chosen on
   the held-out good training images with synthetic defects pasted in (:func:`paste_defects`),
   never on the test set;
3. ``test``: the chosen projection against the residual *with the same post-processing* on the test
   set, overall and per defect type, with paired bootstrap 95 % intervals over test images of the
   differences (projection − residual) of image and pixel AUROC.

Each step caches its result in --cache (default /tmp/projection_vs_residual, never in git); ``tune``
may run in several processes with different --runs, ``test`` uses every tuning file of the cache.

    python benchmarks/projection_vs_residual.py --data ../shared/datasets/capsule --threads 1 all
"""
from __future__ import annotations

import argparse
import itertools
import json
import os
import time
from pathlib import Path

import numpy as np
import torch

from lecture_utils.checkpoint import save_checkpoint
from lecture_utils.config import seed_everything
from lecture_utils.data.mvtec import ImageSet, load_split
from lecture_utils.data.sources import TUNING_SEED, capsule
from lecture_utils.metrics import auroc
from lecture_utils.vae.evaluate import reference_images
from lecture_utils.vae.localization import anomaly_map, fit_normalizer, image_scores, normalize, smooth
from lecture_utils.vae.model import VAE, reconstruct
from lecture_utils.vae.projection import ProjectionConfig, project_all
from lecture_utils.vae.train import VAEConfig, train_vae

HOLD_OUT = 5  # every 5th training image is held out of training, for tuning


def split_train(train: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """(images the VAE trains on, held-out images for tuning): every HOLD_OUT-th image is held out."""
    held = torch.arange(len(train)) % HOLD_OUT == HOLD_OUT - 1
    return train[~held], train[held]


def get_vae(train: torch.Tensor, cache: Path, epochs: int) -> VAE:
    """The lecture's VAE trained on ``train`` (resumes/reuses ``cache``/vae_holdout_<epochs>ep.pt)."""
    path = cache / f"vae_holdout_{epochs}ep.pt"
    model, history = train_vae(train, VAEConfig(epochs=epochs), checkpoint=path, progress=True)
    return model.cpu().eval()


# --- synthetic defects pasted into held-out good images (the tuning set)
def capsule_mask(x: torch.Tensor, margin: int = 3) -> np.ndarray:
    """Pixels of the object in x [C, H, W]: far from the background colour (the corners' median),
    shrunk by ``margin`` pixels so a pasted defect lies on the capsule, not on its outline."""
    from scipy import ndimage
    img = x.permute(1, 2, 0).numpy()                                     # [H, W, C]
    corners = np.concatenate([img[:8, :8], img[:8, -8:], img[-8:, :8], img[-8:, -8:]]).reshape(-1, img.shape[2])
    far = np.abs(img - np.median(corners, 0)).max(-1) > 0.15
    return ndimage.binary_erosion(ndimage.binary_fill_holes(far), iterations=margin)


def paste_defect(x: torch.Tensor, donor: torch.Tensor, kind: str, rng: np.random.Generator):
    """x [C, H, W] with one synthetic defect on the capsule, and its mask [H, W] (pixels that changed).

    ``spot``: a jagged blob of a dark or pale colour (like a poke or a stain); ``scratch``: a thin
    pale polyline (like a scratch); ``patch``: a square cut from ``donor`` at another place on its
    capsule and pasted here (CutPaste, Li et al. 2021)."""
    from PIL import Image, ImageDraw
    from scipy import ndimage
    c, h, w = x.shape
    ys, xs = np.nonzero(capsule_mask(x))
    k = rng.integers(len(ys))
    cy, cx = int(ys[k]), int(xs[k])
    out = x.clone()
    if kind == "patch":
        s = int(rng.integers(6, 15))
        dys, dxs = np.nonzero(capsule_mask(donor, margin=s // 2))
        j = rng.integers(len(dys))
        y0, x0 = int(np.clip(cy - s // 2, 0, h - s)), int(np.clip(cx - s // 2, 0, w - s))
        sy, sx = int(np.clip(dys[j] - s // 2, 0, h - s)), int(np.clip(dxs[j] - s // 2, 0, w - s))
        out[:, y0:y0 + s, x0:x0 + s] = donor[:, sy:sy + s, sx:sx + s]
    else:
        up = 4                                                           # draw at 4x, then average down
        canvas = Image.new("L", (w * up, h * up))
        draw = ImageDraw.Draw(canvas)
        if kind == "spot":
            r = rng.uniform(1.5, 4.5) * up
            ang = np.sort(rng.uniform(0, 2 * np.pi, 9))
            rad = r * rng.uniform(0.6, 1.4, 9)
            draw.polygon([(cx * up + a * np.cos(t), cy * up + a * np.sin(t)) for a, t in zip(rad, ang)], fill=255)
            colour = rng.uniform(0.05, 0.25, 3) if rng.random() < 0.5 else rng.uniform(0.6, 0.9, 3)
        elif kind == "scratch":
            pts, ang = [(cx * up, cy * up)], rng.uniform(0, 2 * np.pi)
            for _ in range(3):
                ang += rng.uniform(-0.4, 0.4)
                step = rng.uniform(3, 7) * up
                pts.append((pts[-1][0] + step * np.cos(ang), pts[-1][1] + step * np.sin(ang)))
            draw.line(pts, fill=255, width=int(rng.uniform(0.8, 1.5) * up))
            tone = rng.uniform(0.7, 0.9)
            colour = np.array([tone, tone * 0.85, tone * 0.8])
        else:
            raise ValueError(f"kind must be 'spot', 'scratch' or 'patch', got {kind!r}")
        alpha = np.asarray(canvas.resize((w, h), Image.BOX), np.float32) / 255.0
        alpha = torch.from_numpy(ndimage.gaussian_filter(alpha, 0.3) * rng.uniform(0.7, 1.0))  # [H, W]
        out = out * (1 - alpha) + torch.tensor(colour, dtype=out.dtype)[:, None, None] * alpha
    mask = (out - x).abs().max(0).values > 0.02                           # [H, W]
    return out.clamp(0, 1), mask


KINDS = ("spot", "scratch", "patch")


def tuning_set(held: torch.Tensor, n_good: int, seed: int = 0) -> ImageSet:
    """The first ``n_good`` held-out images as good; each other one with a defect (kinds in turn,
    the donor of a patch is the next image)."""
    rng = np.random.default_rng(seed)
    images, masks, defects = [], [], []
    for i, x in enumerate(held):
        if i < n_good:
            images.append(x), masks.append(torch.zeros(x.shape[1:], dtype=torch.bool)), defects.append("good")
            continue
        kind = KINDS[(i - n_good) % len(KINDS)]
        y, m = paste_defect(x, held[(i + 1) % len(held)], kind, rng)
        images.append(y), masks.append(m), defects.append(kind)
    labels = torch.tensor([d != "good" for d in defects]).long()
    return ImageSet(torch.stack(images), labels, torch.stack(masks)[:, None].float(), defects,
                    [f"held-out {i}" for i in range(len(held))], True)


# --- projection with snapshots at several iteration counts (one run gives every T in ``at``)
def project_snapshots(model, images, proj: ProjectionConfig, at, batch: int = 8) -> dict:
    """{T: x_T [N, C, H, W]} for every T in ``at``: the package's energy and step, run to max(at)."""
    from lecture_utils.vae.projection import ENERGIES, energy_and_gradient, step
    out = {t: [] for t in at}
    for i in range(0, len(images), batch):
        x_0 = images[i:i + batch]
        x_t = x_0.clone()
        for t in range(max(at) + 1):
            if t in out:
                out[t].append(x_t)
            if t == max(at):
                break
            _, grad, x_hat = energy_and_gradient(ENERGIES[proj.energy], model, x_t, x_0, proj.lam)
            x_t = step(x_t, grad, x_hat, proj.alpha)
    return {t: torch.cat(v) for t, v in out.items()}


# --- maps, scores and AUROCs with one post-processing for every method
def raw_maps(x_0, target, kind: str) -> torch.Tensor:
    return anomaly_map(x_0, target, kind, sigma=0)                      # [N, H, W]


def post(raw: torch.Tensor, sigma: float, stats=None) -> torch.Tensor:
    """The pixel map: blurred by σ, then (with ``stats``) normalised per pixel by good images' maps."""
    m = smooth(raw, sigma)
    return normalize(m, stats) if stats is not None else m


def weighted_auroc(order_y, order_w_img, groups, weights_per_image) -> float:
    """AUROC of scores already sorted ascending (``order_y``: labels in that order, ``order_w_img``:
    the image of each pixel, ``groups``: start index of each run of tied scores) when each image
    counts ``weights_per_image[image]`` times (a bootstrap resample). Exact, ties count one half."""
    w = weights_per_image[order_w_img]
    pos, neg = np.add.reduceat(w * order_y, groups), np.add.reduceat(w * (1 - order_y), groups)
    below = np.cumsum(neg) - neg
    n_pos, n_neg = pos.sum(), neg.sum()
    return float((pos * (below + 0.5 * neg)).sum() / (n_pos * n_neg))


class PixelAUROC:
    """Pixel AUROC of maps [N, H, W] against masks under image weights (sort once, resample fast)."""

    def __init__(self, masks: torch.Tensor, maps: torch.Tensor):
        s = maps.flatten().double().numpy()
        order = np.argsort(s, kind="stable")
        self.y = masks.flatten().double().numpy()[order]
        self.img = (np.arange(s.size) // maps[0].numel())[order]
        sorted_s = s[order]
        self.groups = np.flatnonzero(np.r_[True, sorted_s[1:] != sorted_s[:-1]])

    def __call__(self, weights: np.ndarray) -> float:
        return weighted_auroc(self.y, self.img, self.groups, weights.astype(np.float64))


def image_auroc_w(labels: np.ndarray, scores: np.ndarray, weights: np.ndarray) -> float:
    """Image AUROC with each image counted ``weights[i]`` times."""
    from sklearn.metrics import roc_auc_score
    return float(roc_auc_score(labels, scores, sample_weight=weights))


def bootstrap(test: ImageSet, maps: dict, scores: dict, n: int = 1000, seed: int = 0) -> dict:
    """Paired bootstrap over test images of AUROC(projection) − AUROC(residual), overall and per type.

    ``maps``/``scores``: {"residual": ..., "projection": ...}. Returns, per subset, both AUROCs and
    the difference with its 2.5 and 97.5 percentiles (image and pixel)."""
    rng = np.random.default_rng(seed)
    subsets = {"all": list(range(len(test)))}
    for kind in sorted(set(test.defects) - {"good"}):
        subsets[kind] = [i for i, d in enumerate(test.defects) if d in ("good", kind)]
    labels = test.labels.numpy()
    table = {}
    for name, idx in subsets.items():
        idx_t = torch.tensor(idx)
        pix = {m: PixelAUROC(test.masks[idx_t, 0], maps[m][idx_t]) for m in maps}
        lab = labels[idx]
        sc = {m: scores[m][idx_t].numpy() for m in scores}
        one = np.ones(len(idx))
        row = {"n_defect": int(lab.sum())}
        for level in ("pixel", "image"):
            f = (lambda m, w: pix[m](w)) if level == "pixel" else (lambda m, w: image_auroc_w(lab, sc[m], w))
            row[f"{level}_residual"], row[f"{level}_projection"] = f("residual", one), f("projection", one)
            diffs = []
            for _ in range(n):
                # resample good and defective images separately, so every resample has both
                w = np.zeros(len(idx))
                for cls in (0, 1):
                    members = np.flatnonzero(lab == cls)
                    np.add.at(w, rng.choice(members, len(members)), 1)
                diffs.append(f("projection", w) - f("residual", w))
            lo, hi = np.percentile(diffs, [2.5, 97.5])
            row[f"{level}_diff"] = row[f"{level}_projection"] - row[f"{level}_residual"]
            row[f"{level}_ci"] = [float(lo), float(hi)]
        table[name] = row
    return table


# --- step 2: choose every setting on the tuning set
MAP_KINDS, SIGMAS, NORMS = ("residual", "dssim"), (0.0, 2.0, 4.0, 8.0), (False, True)
STEPS = (25, 50, 100)


def post_grid(x_0, target, ref, ref_target, masks, labels) -> list[dict]:
    """Pixel AUROC of every post-processing (map kind, σ, per-pixel normalisation) of one method, and
    the image AUROC of the score made from that map kind and σ (max of the normalised map)."""
    rows = []
    for kind in MAP_KINDS:
        raw, ref_raw = raw_maps(x_0, target, kind), raw_maps(ref, ref_target, kind)
        for sigma, norm in itertools.product(SIGMAS, NORMS):
            stats = fit_normalizer(smooth(ref_raw, sigma))
            pix = PixelAUROC(masks[:, 0], post(raw, sigma, stats if norm else None))(np.ones(len(x_0)))
            img = auroc(labels, image_scores(normalize(smooth(raw, sigma), stats), "max"))
            rows.append({"map": kind, "sigma": sigma, "normalise": norm, "pixel_auroc": pix, "image_auroc": img})
    return rows


def tune(model, tuning: ImageSet, ref: torch.Tensor, runs) -> list[dict]:
    """Every (energy, α, λ) in ``runs`` x every T in STEPS x every post-processing, and the residual."""
    rows = []
    target, ref_target = reconstruct(model, tuning.images), reconstruct(model, ref)
    for r in post_grid(tuning.images, target, ref, ref_target, tuning.masks, tuning.labels):
        rows.append({"method": "residual", **r})
    for energy, alpha, lam in runs:
        start = time.perf_counter()
        proj = ProjectionConfig(alpha=alpha, lam=lam, energy=energy)
        snaps = project_snapshots(model, torch.cat([tuning.images, ref]), proj, STEPS)
        for t, x in snaps.items():
            for r in post_grid(tuning.images, x[:len(tuning)], ref, x[len(tuning):], tuning.masks,
                                 tuning.labels):
                rows.append({"method": "projection", "energy": energy, "alpha": alpha, "lam": lam,
                             "iterations": t, **r})
        best = max(r["pixel_auroc"] for r in rows if r.get("energy") == energy and r.get("alpha") == alpha
                   and r.get("lam") == lam)
        print(f"{energy:8s} alpha={alpha:<5} lam={lam:<6} best pixel AUROC {best:.4f} "
              f"({time.perf_counter() - start:.0f} s)", flush=True)
    return rows


def best(rows, by: str = "pixel_auroc", **where) -> dict:
    """The row with the highest ``by`` among those matching ``where``."""
    return max((r for r in rows if all(r.get(k) == v for k, v in where.items())), key=lambda r: r[by])


def choose(rows) -> dict:
    """The projection (energy, α, λ, T) and pixel post-processing with the best tuning pixel AUROC,
    and, for that projection, the image score's map and σ with the best tuning image AUROC."""
    c = dict(best(rows, method="projection"))
    run = {k: c[k] for k in ("energy", "alpha", "lam", "iterations")}
    img = best(rows, by="image_auroc", method="projection", normalise=False, **run)
    c.update(score_map=img["map"], score_sigma=img["sigma"], tuning_image_auroc=img["image_auroc"])
    return c


# --- step 3: the chosen settings on the test set, projection against residual
def test_scores(model, test: ImageSet, ref: torch.Tensor, chosen: dict, cache: Path, part: int | None = None,
                n_parts: int = 1) -> tuple[dict, dict]:
    """Pixel maps and image scores of both methods with the chosen post-processing.  Image score (as
    lecture 1): max of the chosen map blurred by the chosen σ and normalised per pixel by ``ref``'s.
    The projection may be split over processes: ``part`` i of ``n_parts`` (every n-th image) is
    computed and cached, and (None, None) returned until every part is there."""
    proj = ProjectionConfig(iterations=chosen["iterations"], alpha=chosen["alpha"], lam=chosen["lam"],
                            energy=chosen["energy"])
    path = cache / f"targets_{proj.energy}_a{proj.alpha}_l{proj.lam}_T{proj.iterations}.pt"
    both = torch.cat([test.images, ref])
    if path.is_file():
        targets = torch.load(path, weights_only=True)
    else:
        parts = [cache / f"{path.stem}_part{i}of{n_parts}.pt" for i in range(n_parts)]
        for i in ([part] if part is not None else range(n_parts)):
            if not parts[i].is_file():
                start = time.perf_counter()
                x = project_all(model, both[i::n_parts], proj, 8).x
                save_checkpoint({"x": x, "seconds": torch.tensor(time.perf_counter() - start)}, parts[i])
        if not all(f.is_file() for f in parts):
            return None, None  # another process computes the other parts
        done = [torch.load(f, weights_only=True) for f in parts]
        x = torch.empty_like(both)
        for i, d in enumerate(done):
            x[i::n_parts] = d["x"]
        targets = {"residual": reconstruct(model, both), "projection": x,
                   "seconds": torch.stack([d["seconds"] for d in done]).sum()}
        save_checkpoint(targets, path)
    maps, scores = {}, {}
    n = len(test)
    for m in ("residual", "projection"):
        raw, ref_raw = raw_maps(test.images, targets[m][:n], chosen["map"]), raw_maps(ref, targets[m][n:], chosen["map"])
        stats = fit_normalizer(smooth(ref_raw, chosen["sigma"])) if chosen["normalise"] else None
        maps[m] = post(raw, chosen["sigma"], stats)
        if chosen["score_map"] != chosen["map"]:
            raw = raw_maps(test.images, targets[m][:n], chosen["score_map"])
            ref_raw = raw_maps(ref, targets[m][n:], chosen["score_map"])
        s = chosen["score_sigma"]
        scores[m] = image_scores(normalize(smooth(raw, s), fit_normalizer(smooth(ref_raw, s))), "max")
    return maps, scores


# --- report
def fmt_ci(row, level) -> str:
    lo, hi = row[f"{level}_ci"]
    mark = " *" if lo > 0 or hi < 0 else ""
    return f"{row[f'{level}_diff']:+.3f} [{lo:+.3f}, {hi:+.3f}]{mark}"


def markdown(result: dict) -> str:
    """The tables of RESULTS_vae.md's ablation section."""
    c = result["chosen"]
    lines = [f"Chosen on the tuning set: energy `{c['energy']}`, α = {c['alpha']}, λ = {c['lam']}, "
             f"T = {c['iterations']}, map `{c['map']}`, σ = {c['sigma']}, "
             f"{'normalised per pixel' if c['normalise'] else 'raw'}; image score: max of the "
             f"normalised `{c['score_map']}` map at σ = {c['score_sigma']} (tuning pixel AUROC {c['pixel_auroc']:.3f}, "
             f"image AUROC {c['tuning_image_auroc']:.3f}; "
             f"residual at the same post-processing {result['tuning_residual_same']['pixel_auroc']:.3f}, "
             f"at its own best {result['tuning_residual_best']['pixel_auroc']:.3f}).", "",
             "| test subset | n defective | pixel AUROC residual | projection | difference [95 % CI] "
             "| image AUROC residual | projection | difference [95 % CI] |",
             "|---|---|---|---|---|---|---|---|"]
    for name, row in result["bootstrap"].items():
        lines.append(f"| {name} | {row['n_defect']} | {row['pixel_residual']:.3f} | {row['pixel_projection']:.3f} | "
                     f"{fmt_ci(row, 'pixel')} | {row['image_residual']:.3f} | {row['image_projection']:.3f} | "
                     f"{fmt_ci(row, 'image')} |")
    lines += ["", "`*`: the 95 % interval excludes 0."]
    return "\n".join(lines)


def tuning_table(rows: list[dict]) -> str:
    """Best tuning-set pixel AUROC of each projection run (over T and post-processing), and its best
    image AUROC."""
    lines = ["| energy | α | λ | best T | map | σ | normalised | tuning pixel AUROC | best tuning image AUROC |",
             "|---|---|---|---|---|---|---|---|---|"]
    runs = sorted({(r["energy"], r["alpha"], r["lam"]) for r in rows if r["method"] == "projection"})
    for e, a, l in runs:
        b = best(rows, method="projection", energy=e, alpha=a, lam=l)
        i = best(rows, by="image_auroc", method="projection", energy=e, alpha=a, lam=l, normalise=False)
        lines.append(f"| {e} | {a} | {l} | {b['iterations']} | {b['map']} | {b['sigma']} | {b['normalise']} | "
                     f"{b['pixel_auroc']:.3f} | {i['image_auroc']:.3f} |")
    b = best(rows, method="residual")
    i = best(rows, by="image_auroc", method="residual", normalise=False)
    lines.append(f"| residual (no projection) | | | | {b['map']} | {b['sigma']} | {b['normalise']} | "
                 f"{b['pixel_auroc']:.3f} | {i['image_auroc']:.3f} |")
    return "\n".join(lines)


def postprocessing_table(rows: list[dict], chosen: dict) -> str:
    """Tuning pixel AUROC of the residual and of the chosen projection at each equal post-processing."""
    run = {k: chosen[k] for k in ("energy", "alpha", "lam", "iterations")}
    lines = ["| map | σ | normalised | residual | projection |", "|---|---|---|---|---|"]
    for kind, sigma, norm in itertools.product(MAP_KINDS, SIGMAS, NORMS):
        post_ = dict(map=kind, sigma=sigma, normalise=norm)
        r, q = best(rows, method="residual", **post_), best(rows, method="projection", **run, **post_)
        lines.append(f"| {kind} | {sigma} | {norm} | {r['pixel_auroc']:.3f} | {q['pixel_auroc']:.3f} |")
    return "\n".join(lines)


def where_maps_are_high(test: ImageSet, maps: dict) -> str:
    """Mean map value on good test images, on the normal pixels of defective ones and on defect
    pixels: what moves besides the defect."""
    good = torch.tensor([d == "good" for d in test.defects])
    defect_px = test.masks[:, 0] > 0.5
    lines = ["| map | good images | normal pixels of defective images | defect pixels | defect / good |",
             "|---|---|---|---|---|"]
    for m, mp in maps.items():
        g, n, d = mp[good].mean(), mp[~good][~defect_px[~good]].mean(), mp[defect_px].mean()
        lines.append(f"| {m} | {g:.4f} | {n:.4f} | {d:.4f} | {d / g:.1f} |")
    return "\n".join(lines)


def write_json(path: Path, data) -> None:
    """Write ``data`` beside ``path`` under a temporary name, then rename (never a half-written file)."""
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(json.dumps(data, indent=1))
    os.replace(tmp, path)


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("step", choices=["train", "tune", "test", "all"])
    p.add_argument("--data", default=None, help="MVTec-layout capsule folder (default: the tuning synthetic capsule)")
    p.add_argument("--cache", default="/tmp/projection_vs_residual", help="weights, tuning and results (not git)")
    p.add_argument("--epochs", type=int, default=100)
    p.add_argument("--good", type=int, default=20, help="held-out images kept good in the tuning set")
    p.add_argument("--references", type=int, default=8, help="good training images that normalise tuning maps")
    p.add_argument("--bootstrap", type=int, default=1000)
    p.add_argument("--runs", default="lecture:0.5:0.05,lecture:4:0.05,kl:0.5:0.05,kl:4:0.05,paper:0.5:0.05",
                   help="projections to try, energy:alpha:lambda,... (tune); test uses every tuning_*.json")
    p.add_argument("--parts", type=int, default=1, help="split the test projection over this many processes")
    p.add_argument("--part", type=int, default=None, help="(test) compute only this part, 0 .. parts - 1")
    p.add_argument("--threads", type=int, default=None)
    p.add_argument("--post", default=None, metavar="MAP:SIGMA[:norm]",
                   help="(test) compare at this pixel post-processing instead of the chosen one, e.g. dssim:2 or "
                        "residual:4 (a secondary comparison: the projection stays the one chosen on the tuning set)")
    args = p.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    seed_everything(0)
    cache = Path(args.cache)
    cache.mkdir(parents=True, exist_ok=True)
    root = args.data or capsule(seed=TUNING_SEED)[0]
    fit, held = split_train(load_split(root, "train").images)
    model = get_vae(fit, cache, args.epochs)
    if args.step == "train":
        return
    if args.step in ("tune", "all"):
        tuning = tuning_set(held, args.good)
        ref = reference_images(fit, args.references)
        runs = [tuple(float(v) if i else v for i, v in enumerate(r.split(":"))) for r in args.runs.split(",")]
        rows = tune(model, tuning, ref, runs)
        write_json(cache / f"tuning_{args.runs.replace(':', '_').replace(',', '+')}.json", rows)
    rows = [r for f in sorted(cache.glob("tuning_*.json")) for r in json.loads(f.read_text())]
    chosen = choose(rows)
    if args.post:
        kind, sigma, *norm = args.post.split(":")
        chosen.update(map=kind, sigma=float(sigma), normalise=norm == ["norm"])
    same = best(rows, method="residual", map=chosen["map"], sigma=chosen["sigma"], normalise=chosen["normalise"])
    print(tuning_table(rows), postprocessing_table(rows, chosen), sep="\n\n")
    if args.step in ("test", "all"):
        test = load_split(root, "test")
        maps, scores = test_scores(model, test, reference_images(fit, 40), chosen, cache, args.part, args.parts)
        if maps is None:
            return
        result = {"chosen": chosen, "tuning_residual_same": same, "tuning_residual_best": best(rows, method="residual"),
                  "bootstrap": bootstrap(test, maps, scores, args.bootstrap)}
        write_json(cache / (f"result_post_{args.post.replace(':', '_')}.json" if args.post else "result.json"), result)
        print(markdown(result))
        print(where_maps_are_high(test, maps))


if __name__ == "__main__":
    main()
