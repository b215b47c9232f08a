"""``python -m lecture_tools anogan train|evaluate|release``: the AnoGAN lecture on any MVTec-layout folder.

    python -m lecture_tools anogan train --data DIR --epochs 4 --out anogan.pt
    python -m lecture_tools anogan evaluate --data DIR --weights anogan.pt --iterations 50 --json out.json
    python -m lecture_tools anogan release --data CACHE --out anogan_weights.zip   (``release.py``)

Images are read as 64 x 64 grayscale (``data.mvtec.load_split(root, split, 64, channels=1)``). Epochs
are sized like the notebook's (``GANConfig.for_images`` / ``EncoderConfig.for_images``) unless given.
Training keeps its progress in ``OUT.gan.partial`` (the GAN) and ``OUT.gan`` (until the encoder is
trained) and resumes from them when settings and data are the same (``--fresh``: start over); the
weights file holds G, D and (unless ``--encoder-epochs 0``) the encoder E of the fast variant, with
the settings and data identity they were trained with.
"""
from __future__ import annotations

import json
import time
from dataclasses import asdict
from pathlib import Path

import torch

from lecture_utils.anogan import dcgan, published, score, search
from lecture_utils.anogan import train as gan_train
from lecture_utils.checkpoint import (check_resumable, data_identity, load_checkpoint, load_ours, load_weights,
                                      refuse_unfinished, save_checkpoint)
from lecture_utils.data.mvtec import ignored_train_folders, index_split, load_split
from lecture_utils.metrics import auroc
from lecture_utils.outputs import check_writable, write_text

from .release import release as zip_release
from .arguments import add_device, check_report_out, fits_in_memory, integer, note_ignored, number

IMAGE_SIZE = 64
REPORT_KEYS = {"image_auroc", "encoder_auroc", "n_images", "iterations"}   # what tells an earlier --json report
RESTART_BYTES = 4 * 2**20   # about 4 MiB per searched image and restart: G's and D's activations, their gradients


def _images(root, split: str) -> tuple[torch.Tensor, torch.Tensor]:
    s = load_split(root, split, image_size=IMAGE_SIZE, channels=1)
    return score.to_unit(s.images), s.labels


def _plan(args, n_images: int) -> tuple[gan_train.GANConfig, gan_train.EncoderConfig]:
    """The notebook's configs for ``n_images`` (epochs from ``for_images``) unless --epochs / --encoder-epochs."""
    gan = (gan_train.GANConfig.for_images(n_images, seed=args.seed) if args.epochs is None
           else gan_train.GANConfig(epochs=args.epochs, seed=args.seed))
    enc = (gan_train.EncoderConfig.for_images(n_images, seed=args.seed) if args.encoder_epochs is None
           else gan_train.EncoderConfig(epochs=args.encoder_epochs, seed=args.seed))
    return gan, enc


def _finished(out: Path, cfg, enc, data, fresh: bool) -> bool:
    """True if ``out`` already holds these settings and data; refuses a file that is not ours, or
    ours with other settings (unless ``fresh``)."""
    if not out.exists():
        return False
    state = load_ours(out, ("G", "D", "config"))
    if state is None:
        raise ValueError(f"--out {out} exists and is not a weights file written by anogan train; "
                         "choose another --out (it is never overwritten)")
    if fresh:
        return False
    check_resumable(out, state, cfg, free=("sample_every",), data=data)
    check_resumable(out, {"config": state.get("encoder_config")}, enc, free=())
    return True


def train(args) -> int:
    out = check_writable(args.out, "--out")
    note_ignored(args.data, ignored_train_folders(args.data))
    items = index_split(args.data, "train")
    cfg, enc = _plan(args, len(items))
    data = data_identity(args.data, [item.path for item in items])
    if _finished(out, cfg, enc, data, args.fresh):
        print(f"already trained: {out} holds {cfg.epochs} GAN and {enc.epochs} encoder epochs with these "
              "settings and data; nothing to do (pass --fresh to train again)")
        return 0
    images, _ = _images(args.data, "train")
    G, D = dcgan.build(cfg.z_dim, seed=args.seed)
    stage = out.with_name(out.name + ".gan")        # the trained GAN until the encoder is done too
    print(f"training on {len(images)} images of {args.data} on {args.device}: {cfg.epochs} GAN epochs, "
          f"{enc.epochs} encoder epochs; progress is kept in {stage}(.partial)", flush=True)
    t0 = time.perf_counter()
    history = gan_train.train_gan(G, D, images, cfg, checkpoint=stage, device=args.device, data=data, fresh=args.fresh)
    E = None
    if enc.epochs > 0:
        E = dcgan.build_encoder(cfg.z_dim, seed=args.seed)
        try:
            gan_train.train_encoder(E, G, D, images, enc, device=args.device)
        except KeyboardInterrupt:
            raise KeyboardInterrupt(f"encoder training stopped; the trained GAN is kept in {stage}: "
                                    "run the same command again to train the encoder") from None
        except FloatingPointError as e:
            raise FloatingPointError(f"encoder: {e}; the trained GAN is kept in {stage}") from e
    save_checkpoint({"G": G.state_dict(), "D": D.state_dict(), "E": E.state_dict() if E else None,
                     "z_dim": cfg.z_dim, "image_size": IMAGE_SIZE, "config": asdict(cfg),
                     "encoder_config": asdict(enc), "data": data}, out)
    stage.unlink(missing_ok=True)
    print(f"trained on {len(images)} images in {time.perf_counter() - t0:.0f} s "
          f"(last L_D {history['epoch_d'][-1]:.3f}, L_G {history['epoch_g'][-1]:.3f}); wrote {out}")
    return 0


def load_models(path) -> tuple[dcgan.Generator, dcgan.Discriminator, dcgan.Encoder | None]:
    """G, D and E (None when the file has no encoder) from a weights file written by ``train``."""
    state = load_checkpoint(path)
    refuse_unfinished(state, path)
    if not isinstance(state, dict) or "G" not in state or "D" not in state:
        raise ValueError(f"{path} is not an AnoGAN weights file (expected keys G, D, E); "
                         "write one with `python -m lecture_tools anogan train`")
    z_dim = state.get("z_dim", 20)
    G = load_weights(dcgan.Generator(z_dim), state["G"])
    D = load_weights(dcgan.Discriminator(), state["D"])
    E = load_weights(dcgan.Encoder(z_dim), state["E"]) if state.get("E") else None
    return G, D, E


def evaluate(args) -> int:
    if args.json:
        check_report_out(args.json, "--json", REPORT_KEYS, args.weights)
    images, labels = _images(args.data, "test")
    G, D, E = load_models(args.weights)
    G, D = G.to(args.device), D.to(args.device)
    E = E.to(args.device) if E is not None else None
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
        write_text(args.json, text + "\n")
    return 0


def register(groups) -> None:
    parser = groups.add_parser("anogan", help="train and evaluate AnoGAN (DCGAN + latent search)")
    sub = parser.add_subparsers(dest="command", required=True)
    found = search.SearchConfig()
    p = sub.add_parser("train", help="train the DCGAN (and the fast encoder) on DIR/train/good")
    p.add_argument("--data", required=True, help="MVTec-layout folder (DIR/train/good/*.png)")
    p.add_argument("--epochs", type=integer(1), default=None,
                   help="GAN epochs (default: as the notebook, GANConfig.for_images(number of images))")
    p.add_argument("--encoder-epochs", type=integer(0), default=None,
                   help="0: no encoder (default: EncoderConfig.for_images(number of images))")
    p.add_argument("--seed", type=integer(0), default=gan_train.GANConfig().seed)
    p.add_argument("--out", required=True, help="weights file to write")
    p.add_argument("--fresh", action="store_true", help="start over instead of resuming, and replace --out")
    add_device(p)
    p.set_defaults(func=train)
    p = sub.add_parser("evaluate", help="AUROC of the latent search (and the encoder) on DIR/test")
    p.add_argument("--data", required=True)
    p.add_argument("--weights", required=True)
    p.add_argument("--iterations", type=integer(1), default=found.iterations, help="search steps per image")
    p.add_argument("--restarts", type=fits_in_memory(integer(1), lambda r: r * RESTART_BYTES), default=found.restarts)
    p.add_argument("--lam", type=number(0, 1), default=found.lam, help="weight of the discrimination term λ")
    p.add_argument("--seed", type=integer(0), default=found.seed)
    p.add_argument("--json", help="write the figures to this JSON file")
    add_device(p)
    p.set_defaults(func=evaluate)
    p = sub.add_parser("release", help="zip the lecture 2 notebook's finished weights (CACHE/anogan/*.pt) "
                                       "with SHA256SUMS, to publish with the release")
    p.add_argument("--data", required=True, type=Path, help="the cache folder the notebook ran with ($LECTURE_UTILS_DATA)")
    p.add_argument("--out", required=True, type=Path, help=f"zip to write (never overwritten), e.g. {published.FILENAME}")
    p.set_defaults(func=release)


def release(args) -> int:
    """Write the published weights' zip; print its members, size and SHA-256."""
    out, digest, names = zip_release(args.data, args.out)
    for name in names:
        print(f"  {name}")
    print(f"{out}: {out.stat().st_size} bytes, sha256 {digest}")
    return 0
