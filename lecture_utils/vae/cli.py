"""``python -m lecture_utils vae train|evaluate``: lecture 1 from the command line.

    python -m lecture_utils vae train --data DIR --epochs 100 --out vae.pt
    python -m lecture_utils vae evaluate --data DIR --weights vae.pt --iterations 100 --json out.json

Any MVTec-layout folder works, RGB or grayscale (channels are read from the images, or --channels).
``train`` resumes from ``--out`` when it holds a checkpoint of an unfinished run.
"""
from __future__ import annotations

import json
import time
from pathlib import Path

from ..config import pick_device
from ..data.mvtec import image_channels, load_split
from .model import VAE
from .projection import ProjectionConfig
from .evaluate import DEFAULT_METHODS, METHODS, EvalConfig, comparison_table, defect_table, evaluate, summary
from .train import AUGMENTATIONS, VAEConfig, load_vae, train_vae


def cmd_train(args) -> int:
    channels = args.channels or image_channels(args.data)
    config = VAEConfig(z_dim=args.z_dim, channels=channels, batch_size=args.batch_size, lr=args.lr,
                       epochs=args.epochs, augment=args.augment, seed=args.seed, save_every=args.save_every)
    train = load_split(args.data, "train", VAE.image_size, channels)
    print(f"training on {len(train)} images ({channels} channel(s)) of {args.data}, {args.epochs} epochs")
    start = time.perf_counter()
    _, history = train_vae(train.images, config, checkpoint=args.out, device=pick_device(args.device))
    print(f"final loss per image {history[-1]:.1f}; weights: {args.out} ({time.perf_counter() - start:.0f} s)")
    return 0


def cmd_evaluate(args) -> int:
    model = load_vae(args.weights, pick_device(args.device))
    channels = args.channels or model.input_c
    if channels != model.input_c:
        raise ValueError(f"--channels {channels} but {args.weights} was trained on {model.input_c} channel(s)")
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
        Path(args.json).parent.mkdir(parents=True, exist_ok=True)
        Path(args.json).write_text(json.dumps(report, indent=1))
        print(f"wrote {args.json}")
    return 0


def _methods(text: str) -> str:
    bad = [m for m in text.split(",") if m not in METHODS]
    if bad:
        raise ValueError(f"unknown method(s) {bad}; choose from {','.join(METHODS)}")
    return text


def register(groups) -> None:
    parser = groups.add_parser("vae", help="lecture 1: VAE + iterative projection")
    sub = parser.add_subparsers(dest="command", required=True)
    common = dict(type=int, choices=(1, 3), default=None, help="1 (grayscale) or 3 (RGB); default: from the images")

    t = sub.add_parser("train", help="train the VAE on DIR/train/good")
    t.add_argument("--data", required=True, help="MVTec-layout folder")
    t.add_argument("--epochs", type=int, default=100)
    t.add_argument("--out", required=True, help="checkpoint to write (resumed if it exists)")
    t.add_argument("--channels", **common)
    t.add_argument("--augment", choices=sorted(AUGMENTATIONS), default=VAEConfig.augment)
    t.add_argument("--batch-size", type=int, default=10)
    t.add_argument("--lr", type=float, default=2e-4)
    t.add_argument("--z-dim", type=int, default=100)
    t.add_argument("--seed", type=int, default=0)
    t.add_argument("--save-every", type=int, default=10)
    t.add_argument("--device", default=None, help="cuda, mps or cpu (default: the best available)")
    t.set_defaults(func=cmd_train)

    e = sub.add_parser("evaluate", help="image/pixel AUROC on DIR/test, three methods compared")
    e.add_argument("--data", required=True)
    e.add_argument("--weights", required=True, help="our checkpoint or the lecture's trained_model.pt")
    e.add_argument("--iterations", type=int, default=100)
    e.add_argument("--alpha", type=float, default=ProjectionConfig.alpha, help="step size α")
    e.add_argument("--lam", type=float, default=ProjectionConfig.lam)
    e.add_argument("--map", choices=("dssim", "residual"), default=EvalConfig.map_kind)
    e.add_argument("--sigma", type=float, default=EvalConfig.sigma)
    e.add_argument("--score", choices=("max", "mean", "top1"), default=EvalConfig.score)
    e.add_argument("--score-sigma", type=float, default=EvalConfig.score_sigma)
    e.add_argument("--reference", type=int, default=40,
                   help="good training images whose maps normalise each pixel (0: raw maps)")
    e.add_argument("--methods", type=_methods, default=",".join(DEFAULT_METHODS),
                   help=f"comma-separated, from {','.join(METHODS)}")
    e.add_argument("--batch-size", type=int, default=EvalConfig.batch_size, help="images per projection batch")
    e.add_argument("--channels", **common)
    e.add_argument("--json", default=None, help="also write the report here")
    e.add_argument("--device", default=None)
    e.set_defaults(func=cmd_evaluate)
