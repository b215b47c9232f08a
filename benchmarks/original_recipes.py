"""The two original recipes, run as published, so their figures can be reproduced:

* ``lecture``: the MPRG lecture's VAE on an MVTec-layout folder: augmentation RandomAffine(60°,
  translate 0.1, scale 0.5-1.5) + horizontal and vertical flips, Adam lr 2e-4, betas (0.5, 0.999),
  weight decay 1e-5, batch 10; its projection (MSE energy, f_VAE(x_t) detached, α = 0.5, λ = 0.05,
  100 iterations, stop at E <= th = 0.5); DSSIM maps of x_0 against x_T, unsmoothed, not normalised.
  Image score: the map's maximum and its mean (both printed). The lecture trains 1000 epochs.
* ``book``: the book's AnoGAN (ch. 6-2) on MNIST, normal 7 and 8 (200 each), anomaly 2: DCGAN with
  batch 64, g_lr 1e-4, d_lr 4e-4, betas (0, 0.9), hard labels (real = 1), no instance noise; latent
  search with Adam lr 1e-3 for 5,000 steps (``--quick``: 500), λ = 0.1, score A(x) = L(z).
  Differences from the book's code: G and D are scored in eval mode (the book left G's BatchNorm in
  training mode, so a score depended on the batch) and every test image is searched, not five.

    OMP_NUM_THREADS=1 python benchmarks/original_recipes.py lecture --data DIR --epochs 1000
    OMP_NUM_THREADS=1 python benchmarks/original_recipes.py book --data MNIST_ROOT --epochs 60
    python benchmarks/original_recipes.py lecture --dry-run      # seconds: offline data, tiny sizes

Without ``--data`` the offline data are used (the synthetic capsule, scikit-learn's digits).
``--dry-run`` runs the same code with 1 epoch, a few images and 2 iterations (what CI-like checks
run). Prints the settings, the date and the commit next to the figures; ``--json`` also writes them.
"""
from __future__ import annotations

import argparse
import datetime
import json
import subprocess
import time
from dataclasses import asdict
from pathlib import Path

import torch

from lecture_utils.anogan import dcgan, score, search
from lecture_utils.anogan import train as gan_train
from lecture_utils.data import digits
from lecture_utils.data.mvtec import image_channels, load_split
from lecture_utils.data.sources import capsule
from lecture_utils.metrics import auroc
from lecture_utils.vae.evaluate import EvalConfig, evaluate_method
from lecture_utils.vae.localization import image_scores
from lecture_utils.vae.model import VAE
from lecture_utils.vae.projection import ProjectionConfig
from lecture_utils.vae.train import VAEConfig, train_vae

BOOK_GAN = dict(batch_size=64, g_lr=1e-4, d_lr=4e-4, betas=(0.0, 0.9), real_label=1.0, instance_noise=0.0)
BOOK_SEARCH_STEPS, QUICK_SEARCH_STEPS = 5000, 500


def lecture(args) -> dict:
    """Train the lecture's VAE as published and evaluate its projection with DSSIM maps."""
    root = args.data or str(capsule()[0])
    channels = image_channels(root)
    train, test = load_split(root, "train", VAE.image_size, channels), load_split(root, "test", VAE.image_size, channels)
    iterations = 100
    if args.dry_run:
        train, test, iterations = train.select(range(min(8, len(train)))), test.select(test.first_per_type(1)), 2
    config = VAEConfig(channels=channels, epochs=args.epochs, augment="lecture", seed=args.seed)
    t0 = time.perf_counter()
    model, history = train_vae(train.images, config, progress=not args.dry_run)
    t_train = time.perf_counter() - t0
    projection = ProjectionConfig(iterations=iterations, alpha=0.5, lam=0.05, energy="lecture", stop_energy=0.5)
    eval_config = EvalConfig(projection=projection, map_kind="dssim", sigma=0, score="max", score_sigma=0,
                             reference=0)
    r = evaluate_method(model, test, "lecture", eval_config, progress=False)
    return {"recipe": "lecture", "data": str(root), "train_images": len(train), "test_images": len(test),
            "vae": asdict(config), "projection": asdict(projection), "map": "dssim, unsmoothed",
            "image_auroc_max": r.image_auroc, "image_auroc_mean": auroc(test.labels, image_scores(r.maps, "mean")),
            "pixel_auroc": r.pixel_auroc, "final_loss": history[-1],
            "seconds_train": round(t_train, 1), "seconds_evaluate": round(r.seconds, 1)}


def book(args) -> dict:
    """Train the book's DCGAN as published and score the test digits by the book's latent search."""
    n_train, n_test = (32, 16) if args.dry_run else (400, args.n_test)
    sets = digits.digit_sets(normal=(7, 8), anomaly=(2,), n_train=n_train, n_test=n_test,
                             source="mnist" if args.data else "bundled", mnist_root=args.data, seed=args.seed)
    x_train, x_test = score.to_unit(sets.train.images), score.to_unit(sets.test.images)
    steps = 2 if args.dry_run else args.search_steps or (QUICK_SEARCH_STEPS if args.quick else BOOK_SEARCH_STEPS)
    G, D = dcgan.build(seed=args.seed)
    config = gan_train.GANConfig(epochs=args.epochs, seed=args.seed, **BOOK_GAN)
    history = gan_train.train_gan(G, D, x_train, config, progress=not args.dry_run)
    search_config = search.SearchConfig(iterations=steps, lr=1e-3, lam=0.1, seed=args.seed)
    found = search.latent_search(G, D, x_test, search_config, progress=not args.dry_run)
    return {"recipe": "book", "data": sets.source, "train_images": len(x_train), "test_images": len(x_test),
            "gan": asdict(config), "search": asdict(search_config),
            "search_note": "" if steps == BOOK_SEARCH_STEPS else f"{steps} search steps instead of the book's 5,000",
            "auroc": auroc(sets.test.labels, found.scores),
            "last_epoch_d_g": (history["epoch_d"][-1], history["epoch_g"][-1]),
            "seconds_train": round(history["seconds"], 1), "seconds_search": round(found.seconds, 1)}


def commit() -> str:
    try:
        return subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True,
                              timeout=10, cwd=Path(__file__).parent).stdout.strip() or "unknown"
    except (OSError, subprocess.SubprocessError):
        return "unknown"


def main(argv=None) -> dict:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("recipe", choices=("lecture", "book"))
    p.add_argument("--data", default=None, help="lecture: MVTec-layout folder; book: MNIST root "
                                                "(default: the offline data)")
    p.add_argument("--epochs", type=int, default=None, help="lecture: 1000, book: 60 (the recipes' own)")
    p.add_argument("--n-test", type=int, default=200, help="book: test digits, half anomalies")
    p.add_argument("--quick", action="store_true", help="book: 500 search steps instead of 5,000")
    p.add_argument("--search-steps", type=int, default=None, help="book: any other search length")
    p.add_argument("--dry-run", action="store_true", help="1 epoch, a few images, 2 iterations")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--threads", type=int, default=None, help="torch CPU threads (default: torch's choice)")
    p.add_argument("--json", default=None, help="also write the result here")
    args = p.parse_args(argv)
    if args.threads:
        torch.set_num_threads(args.threads)
    if args.dry_run:
        args.epochs = 1
    elif args.epochs is None:
        args.epochs = 1000 if args.recipe == "lecture" else 60
    started = datetime.datetime.now(datetime.timezone.utc)
    result = (lecture if args.recipe == "lecture" else book)(args)
    result.update(date=started.strftime("%Y-%m-%d %H:%M UTC"), commit=commit(), threads=torch.get_num_threads(),
                  dry_run=args.dry_run)
    print(json.dumps(result, indent=1, default=str))
    if args.json:
        Path(args.json).write_text(json.dumps(result, indent=1, default=str))
    return result


if __name__ == "__main__":
    main()
