"""``python -m lecture_tools vae train|evaluate``: lecture 1 from the command line.

    python -m lecture_tools vae train --data DIR --epochs 100 --out vae.pt
    python -m lecture_tools vae evaluate --data DIR --weights vae.pt --iterations 100 --json out.json

Any MVTec-layout folder works, RGB or grayscale (channels are read from all training images, or
--channels).  ``train`` keeps its progress in ``OUT.partial`` and resumes from it (or adds epochs to
a finished ``OUT``) only when settings and data are the same; ``--fresh`` starts over.
Defaults are those of ``VAEConfig``, ``ProjectionConfig`` and ``EvalConfig``.
"""
from __future__ import annotations

import argparse
import json
import sys
import time

import torch

from lecture_utils.checkpoint import data_identity
from lecture_utils.data.mvtec import (GRAY_MODES, channels_of, ignored_train_folders, image_modes, index_split,
                                     load_split)
from lecture_utils.outputs import check_writable, write_text
from lecture_utils.vae.localization import SCORES
from lecture_utils.vae.model import VAE, load_vae
from lecture_utils.vae.projection import ProjectionConfig
from lecture_utils.vae.evaluate import (DEFAULT_METHODS, METHODS, EvalConfig, MethodResult, comparison_table,
                                        defect_table, evaluate)
from lecture_utils.vae.train import AUGMENTATIONS, VAEConfig, checkpointer, train_vae

from .arguments import add_device, check_report_out, fits_in_memory, integer, note_ignored, number


def summary(results: dict, main: str = "kl") -> dict:
    """The JSON-ready report: the ``main`` method's figures at the top level, every method under
    ``comparison``."""
    def row(r: MethodResult) -> dict:
        return {"image_auroc": r.image_auroc, "pixel_auroc": r.pixel_auroc, "per_defect": r.per_defect,
                "seconds": round(r.seconds, 2)}
    main = main if main in results else next(iter(results))
    top = row(results[main])
    return {"method": main, **top, "comparison": {m: row(r) for m, r in results.items()},
            "seconds": round(sum(r.seconds for r in results.values()), 2)}


def _channels(root, asked: int | None) -> int:
    """--channels, else 1 if every training image is grayscale, else 3 (mixed sets are converted)."""
    modes = image_modes(root, "train")
    gray = sum(n for mode, n in modes.items() if mode in GRAY_MODES)
    channels = asked or channels_of(modes)
    if 0 < gray < sum(modes.values()):
        print(f"note: {gray} of {sum(modes.values())} training images are grayscale, the others colour: "
              f"all are read with {channels} channel(s)", file=sys.stderr)
    note_ignored(root, ignored_train_folders(root))
    return channels


REPORT_KEYS = {"method", "image_auroc", "pixel_auroc", "comparison"}   # what tells an earlier --json report
MAX_SIGMA = (VAE.image_size - 1.5) / 3     # the blur's radius 3 sigma must stay inside the image (reflect padding)


def training_bytes(z_dim: int) -> int:
    """Memory the VAE's weights take in training (weights, gradients, Adam's two moments), counted
    on the meta device (nothing is allocated)."""
    with torch.device("meta"):
        return 16 * sum(p.numel() for p in VAE(z_dim=z_dim, input_c=3).parameters())


def _same_channels(args, model) -> int:
    """The channels to read the images with: the weights', unless the test images have another count
    and --channels does not say to convert them (colour must not turn grey without a word)."""
    if args.channels not in (None, model.input_c):
        raise ValueError(f"--channels {args.channels} but {args.weights} was trained on {model.input_c} channel(s)")
    data = channels_of(image_modes(args.data, "test"))
    if args.channels is None and data != model.input_c:
        raise ValueError(f"--weights {args.weights} was trained on {model.input_c} channel(s) but the test images of "
                         f"{args.data} have {data}: use weights trained on {data} channel(s), or pass --channels "
                         f"{model.input_c} to convert the images")
    return model.input_c


def train_command(args) -> int:
    out = check_writable(args.out, "--out")
    channels = _channels(args.data, args.channels)
    config = VAEConfig(z_dim=args.z_dim, channels=channels, batch_size=args.batch_size, lr=args.lr,
                       epochs=args.epochs, augment=args.augment, seed=args.seed, save_every=args.save_every)
    data = data_identity(args.data, [item.path for item in index_split(args.data, "train")])
    # the run to resume, if any (another run's file is refused here, before any image is decoded)
    state, path = checkpointer(out, config, data).find(args.fresh, ("model", "config", "epoch"))
    if state is not None and state["epoch"] == config.epochs and path == out:
        print(f"already trained: {out} holds {config.epochs} epochs with these settings and data; nothing to do "
              "(ask for more --epochs to continue, or pass --fresh to train again)")
        return 0
    train = load_split(args.data, "train", VAE.image_size, channels)
    what = f"resuming {path} at epoch {state['epoch']}" if state is not None else "training"
    print(f"{what} on {len(train)} images ({channels} channel(s)) of {args.data}, {args.epochs} epochs "
          f"on {args.device}; progress is kept in {out}.partial", flush=True)
    start = time.perf_counter()
    _, history = train_vae(train.images, config, checkpoint=out, device=args.device, data=data, fresh=args.fresh)
    print(f"final loss per image {history[-1]:.1f}; weights: {out} ({time.perf_counter() - start:.0f} s)")
    return 0


def evaluate_command(args) -> int:
    if args.json:
        check_report_out(args.json, "--json", REPORT_KEYS, args.weights)
    model = load_vae(args.weights, args.device)
    channels = _same_channels(args, model)
    test = load_split(args.data, "test", VAE.image_size, channels)
    train = load_split(args.data, "train", VAE.image_size, channels) if args.reference > 1 else None
    proj = ProjectionConfig(iterations=args.iterations, alpha=args.alpha, lam=args.lam)
    config = EvalConfig(projection=proj, map_kind=args.map, sigma=args.sigma, score=args.score,
                        score_sigma=args.score_sigma,
                        reference=args.reference, batch_size=args.batch_size)
    results = evaluate(model, test, config, methods=args.methods.split(","),
                       train_images=None if train is None else train.images)
    report = summary(results)
    print(comparison_table(results))
    print(f"\nper defect type ({report['method']}):\n" + defect_table(results[report["method"]]))
    if args.json:
        write_text(args.json, json.dumps(report, indent=1))
        print(f"wrote {args.json}")
    return 0


def _methods(text: str) -> str:
    names = text.split(",")
    bad = [m for m in names if m not in METHODS]
    if bad or len(set(names)) != len(names):
        raise argparse.ArgumentTypeError(f"unknown or repeated method(s) in {text!r}; choose from {','.join(METHODS)}")
    return text


def register(groups) -> None:
    parser = groups.add_parser("vae", help="lecture 1: VAE + iterative projection")
    sub = parser.add_subparsers(dest="command", required=True)
    common = dict(type=int, choices=(1, 3), default=None, help="1 (grayscale) or 3 (RGB); default: from the images")
    vae, proj, ev = VAEConfig(), ProjectionConfig(), EvalConfig()

    t = sub.add_parser("train", help="train the VAE on DIR/train/good")
    t.add_argument("--data", required=True, help="MVTec-layout folder")
    t.add_argument("--epochs", type=integer(1), default=vae.epochs)
    t.add_argument("--out", required=True, help="checkpoint to write (progress: OUT.partial, resumed)")
    t.add_argument("--fresh", action="store_true", help="start over instead of resuming OUT(.partial)")
    t.add_argument("--channels", **common)
    t.add_argument("--augment", choices=sorted(AUGMENTATIONS), default=vae.augment)
    t.add_argument("--batch-size", type=integer(1), default=vae.batch_size)
    t.add_argument("--lr", type=number(0, open_low=True), default=vae.lr)
    t.add_argument("--z-dim", type=fits_in_memory(integer(1), training_bytes), default=vae.z_dim)
    t.add_argument("--seed", type=integer(0), default=vae.seed)
    t.add_argument("--save-every", type=integer(1), default=vae.save_every, help="epochs between checkpoints")
    add_device(t)
    t.set_defaults(func=train_command)

    e = sub.add_parser("evaluate", help="image/pixel AUROC on DIR/test, three methods compared")
    e.add_argument("--data", required=True)
    e.add_argument("--weights", required=True, help="our checkpoint or the lecture's trained_model.pt")
    e.add_argument("--iterations", type=integer(1), default=proj.iterations)
    e.add_argument("--alpha", type=number(0, open_low=True), default=proj.alpha, help="step size α")
    e.add_argument("--lam", type=number(0), default=proj.lam)
    e.add_argument("--map", choices=("dssim", "residual"), default=ev.map_kind)
    e.add_argument("--sigma", type=number(0, MAX_SIGMA), default=ev.sigma)
    e.add_argument("--score", choices=SCORES, default=ev.score)
    e.add_argument("--score-sigma", type=number(0, MAX_SIGMA), default=ev.score_sigma)
    e.add_argument("--reference", type=integer(0), default=ev.reference,
                   help="good training images whose maps normalise each pixel (0: raw maps)")
    e.add_argument("--methods", type=_methods, default=",".join(DEFAULT_METHODS),
                   help=f"comma-separated, from {','.join(METHODS)}")
    e.add_argument("--batch-size", type=integer(1), default=ev.batch_size, help="images per projection batch")
    e.add_argument("--channels", **common)
    e.add_argument("--json", default=None, help="also write the report here")
    add_device(e)
    e.set_defaults(func=evaluate_command)
