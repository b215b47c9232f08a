"""``python -m lecture_utils anogan train|evaluate``: the AnoGAN lecture on any MVTec-layout folder.

    python -m lecture_utils anogan train --data DIR --epochs 4 --out anogan.pt
    python -m lecture_utils anogan evaluate --data DIR --weights anogan.pt --iterations 50 --json out.json

Images are read as 64 x 64 grayscale (``data.mvtec.load_split(root, split, 64, channels=1)``). Training
resumes from ``OUT.partial`` after an interruption; the weights file holds G, D and (unless
``--encoder-epochs 0``) the encoder E of the fast variant.
"""
from __future__ import annotations

import json
import time
from pathlib import Path

import torch

from . import dcgan, score, search
from . import train as gt
from ..checkpoint import load_checkpoint, load_weights, save_checkpoint
from ..data.mvtec import load_split
from ..metrics import auroc

IMAGE_SIZE = 64


def _images(root, split: str) -> tuple[torch.Tensor, torch.Tensor]:
    s = load_split(root, split, image_size=IMAGE_SIZE, channels=1)
    return score.to_unit(s.images), s.labels


def train(args) -> int:
    images, _ = _images(args.data, "train")
    cfg = gt.GANConfig(epochs=args.epochs, seed=args.seed)
    G, D = dcgan.build(cfg.z_dim, IMAGE_SIZE, seed=args.seed)
    out = Path(args.out)
    t0 = time.perf_counter()
    history = gt.train_gan(G, D, images, cfg, checkpoint=out.with_name(out.name + ".partial"))
    E = None
    if args.encoder_epochs > 0:
        E = dcgan.build_encoder(cfg.z_dim, IMAGE_SIZE, seed=args.seed)
        gt.train_encoder(E, G, D, images, gt.EncoderConfig(epochs=args.encoder_epochs, seed=args.seed))
    save_checkpoint({"G": G.state_dict(), "D": D.state_dict(), "E": E.state_dict() if E else None,
                     "z_dim": cfg.z_dim, "image_size": IMAGE_SIZE}, out)
    print(f"trained on {len(images)} images in {time.perf_counter() - t0:.0f} s "
          f"(last L_D {history['epoch_d'][-1]:.3f}, L_G {history['epoch_g'][-1]:.3f}); wrote {out}")
    return 0


def load_models(path) -> tuple[dcgan.Generator, dcgan.Discriminator, dcgan.Encoder | None]:
    """G, D and E (None when the file has no encoder) from a weights file written by ``train``."""
    state = load_checkpoint(path)
    if not isinstance(state, dict) or "G" not in state or "D" not in state:
        raise ValueError(f"{path} is not an AnoGAN weights file (expected keys G, D, E); "
                         "write one with `python -m lecture_utils anogan train`")
    z_dim = state.get("z_dim", 20)
    G = load_weights(dcgan.Generator(z_dim, IMAGE_SIZE), state["G"])
    D = load_weights(dcgan.Discriminator(z_dim, IMAGE_SIZE), state["D"])
    E = load_weights(dcgan.Encoder(z_dim, IMAGE_SIZE), state["E"]) if state.get("E") else None
    return G, D, E


def evaluate(args) -> int:
    images, labels = _images(args.data, "test")
    G, D, E = load_models(args.weights)
    t0 = time.perf_counter()
    cfg = search.SearchConfig(iterations=args.iterations, lam=args.lam, restarts=args.restarts, seed=args.seed)
    result = search.latent_search(G, D, images, cfg)
    report = {"image_auroc": auroc(labels, result.scores), "encoder_auroc": None,
              "n_images": len(images), "iterations": args.iterations, "search_seconds": result.seconds}
    if E is not None:
        fast = score.encoder_scores(E, G, D, images)
        report.update(encoder_auroc=auroc(labels, fast.scores), encoder_seconds=fast.seconds)
    report["seconds"] = time.perf_counter() - t0
    text = json.dumps(report, indent=2)
    print(text)
    if args.json:
        Path(args.json).parent.mkdir(parents=True, exist_ok=True)
        Path(args.json).write_text(text + "\n")
    return 0


def register(groups) -> None:
    parser = groups.add_parser("anogan", help="train and evaluate AnoGAN (DCGAN + latent search)")
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("train", help="train the DCGAN (and the fast encoder) on DIR/train")
    p.add_argument("--data", required=True, help="MVTec-layout folder (DIR/train/good/*.png)")
    p.add_argument("--epochs", type=int, default=gt.GANConfig().epochs)
    p.add_argument("--encoder-epochs", type=int, default=gt.EncoderConfig().epochs, help="0: no encoder")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--out", required=True, help="weights file to write")
    p.set_defaults(func=train)
    p = sub.add_parser("evaluate", help="AUROC of the latent search (and the encoder) on DIR/test")
    p.add_argument("--data", required=True)
    p.add_argument("--weights", required=True)
    p.add_argument("--iterations", type=int, default=search.SearchConfig().iterations, help="search steps per image")
    p.add_argument("--restarts", type=int, default=1)
    p.add_argument("--lam", type=float, default=0.1, help="weight of the discrimination term")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--json", help="write the figures to this JSON file")
    p.set_defaults(func=evaluate)
