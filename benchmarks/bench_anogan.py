"""AnoGAN benchmark on real MNIST: training time, AUROC of the search and the encoder, and speed
ratios (batched vs per-image search, encoder vs search), all measured in one run.

    OMP_NUM_THREADS=1 .venv/bin/python benchmarks/bench_anogan.py --mnist-root /work/shared/datasets \
        --normal 7 8 --anomaly 2 --out benchmarks/RESULTS_anogan.md

Uses the package defaults (``GANConfig``, ``EncoderConfig``, ``SearchConfig``) so the figures are
the lecture's. Appends one section to ``--out``.
"""
from __future__ import annotations

import argparse
import ast
import os
import platform
import time
from pathlib import Path

import torch

from lecture_utils.anogan import dcgan, score, search
from lecture_utils.data import digits
from lecture_utils.anogan import train as gan_train
from lecture_utils.metrics import auroc


def per_image_search(G, D, x, cfg, n: int) -> float:
    """images/s of the search run one image at a time (the book's way, batch of one)."""
    t0 = time.perf_counter()
    for i in range(n):
        search.latent_search(G, D, x[i:i + 1], cfg, progress=False)
    return n / (time.perf_counter() - t0)


def run(args) -> dict:
    torch.set_num_threads(args.threads)
    sets = digits.digit_sets(normal=args.normal, anomaly=args.anomaly, n_train=args.n_train,
                             n_test=args.n_test, source="mnist", mnist_root=args.mnist_root, n_val=args.n_val)
    x_train, x_test, y = score.to_unit(sets.train.images), score.to_unit(sets.test.images), sets.test.labels
    x_val, y_val = score.to_unit(sets.val.images), sets.val.labels
    G, D = dcgan.build(seed=args.seed)
    gcfg = gan_train.GANConfig(epochs=args.epochs, seed=args.seed, **dict(args.gan))
    ecfg = gan_train.EncoderConfig(epochs=args.encoder_epochs, seed=args.seed, **dict(args.encoder))
    t0 = time.perf_counter()
    history = gan_train.train_gan(G, D, x_train, gcfg, progress=False)
    t_gan = time.perf_counter() - t0
    E = dcgan.build_encoder(seed=args.seed)
    t0 = time.perf_counter()
    gan_train.train_encoder(E, G, D, x_train, ecfg, progress=False)
    t_enc = time.perf_counter() - t0
    scfg = search.SearchConfig(iterations=args.iterations)
    found = search.latent_search(G, D, x_test, scfg, progress=False)
    fast = score.encoder_scores(E, G, D, x_test)
    l1_at_e = score.score_latents(G, D, x_test, fast.z)           # the search's L1 loss at z = E(x)
    fast_val = score.encoder_scores(E, G, D, x_val)
    short = search.SearchConfig(iterations=args.short_iterations, lr=0.01)
    refined = search.latent_search(G, D, x_test, short, z0=fast.z, progress=False)
    speed_cfg = search.SearchConfig(iterations=args.speed_iterations)
    batched = search.latent_search(G, D, x_test, speed_cfg, progress=False)
    single = per_image_search(G, D, x_test, speed_cfg, args.per_image) if args.per_image else float("nan")
    return {
        "normal": args.normal, "anomaly": args.anomaly, "n_train": len(x_train), "n_test": len(x_test),
        "threads": args.threads, "gan": gcfg, "enc": ecfg, "search_cfg": scfg,
        "t_gan": t_gan, "t_enc": t_enc, "last_d": history["epoch_d"][-1], "last_g": history["epoch_g"][-1],
        "auroc_search": auroc(y, found.scores), "t_search": found.seconds,
        "auroc_encoder": auroc(y, fast.scores), "t_encoder": fast.seconds, "n_val": len(x_val),
        "val_encoder": auroc(y_val, fast_val.scores),
        "auroc_l1_at_e": auroc(y, l1_at_e.scores), "val_l1_at_e": auroc(y_val, score.score_latents(G, D, x_val, fast_val.z).scores),
        "auroc_refined": auroc(y, refined.scores), "t_refined": refined.seconds + fast.seconds,
        "short_iterations": args.short_iterations,
        "batched_ips": len(x_test) / batched.seconds,
        "single_ips": single,
        "speed_iterations": args.speed_iterations,
    }


def markdown(r: dict) -> str:
    train = r["t_gan"] + r["t_enc"]
    ratio = r["batched_ips"] / r["single_ips"]
    return f"""
## normal {r['normal']} vs anomaly {r['anomaly']} ({time.strftime('%Y-%m-%d %H:%M')}, {platform.processor() or platform.machine()}, torch threads {r['threads']})

- data: MNIST, {r['n_train']} training images (train split), {r['n_test']} test images (test split, half anomalies)
- GAN: {r['gan']}
- encoder: {r['enc']}
- training wall time: GAN {r['t_gan']:.0f} s + encoder {r['t_enc']:.0f} s = **{train:.0f} s** (last epoch L_D {r['last_d']:.3f}, L_G {r['last_g']:.3f})

| method | AUROC (test) | AUROC (validation) | seconds for {r['n_test']} images |
|---|---|---|---|
| latent search, {r['search_cfg'].iterations} steps, score L(z*) | **{r['auroc_search']:.3f}** | - | {r['t_search']:.1f} |
| encoder, one pass, f-AnoGAN score A_E(x) | **{r['auroc_encoder']:.3f}** | {r['val_encoder']:.3f} | {r['t_encoder']:.2f} |
| encoder, one pass, the search's score L(E(x)) | {r['auroc_l1_at_e']:.3f} | {r['val_l1_at_e']:.3f} | {r['t_encoder']:.2f} |
| encoder + {r['short_iterations']} search steps, L | **{r['auroc_refined']:.3f}** | - | {r['t_refined']:.1f} |

(validation: {r['n_val']} images of MNIST's *training* split, half anomalies, none used for training)

- encoder vs search: **{r['t_search'] / r['t_encoder']:.0f}x** faster, AUROC difference {r['auroc_encoder'] - r['auroc_search']:+.3f}
- batched search {r['batched_ips']:.2f} images/s vs per-image search {r['single_ips']:.2f} images/s ({r['speed_iterations']} steps each): **{ratio:.1f}x**
"""


def setting(config):
    """An argument type: 'd_lr=4e-4' -> ('d_lr', 0.0004), a field of the dataclass ``config`` and a
    Python literal."""
    def parse(text: str) -> tuple:
        field, _, value = text.partition("=")
        if field not in config.__dataclass_fields__ or field in ("epochs", "seed") or not value:
            raise argparse.ArgumentTypeError(
                f"expected FIELD=VALUE with a {config.__name__} field other than epochs/seed, got {text!r}")
        return field, ast.literal_eval(value)
    return parse


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--mnist-root", default=os.environ.get("LECTURE_UTILS_MNIST"))
    p.add_argument("--normal", type=int, nargs="+", default=[7, 8])
    p.add_argument("--anomaly", type=int, nargs="+", default=[2])
    p.add_argument("--n-train", type=int, default=4000)
    p.add_argument("--n-test", type=int, default=200)
    p.add_argument("--n-val", type=int, default=400, help="validation images from the train split")
    p.add_argument("--epochs", type=int, default=gan_train.GANConfig().epochs)
    p.add_argument("--encoder-epochs", type=int, default=gan_train.EncoderConfig().epochs)
    p.add_argument("--iterations", type=int, default=search.SearchConfig().iterations)
    p.add_argument("--short-iterations", type=int, default=30)
    p.add_argument("--speed-iterations", type=int, default=10)
    p.add_argument("--per-image", type=int, default=10, help="images searched one by one for the ratio")
    p.add_argument("--gan", type=setting(gan_train.GANConfig), nargs="*", default=[], metavar="FIELD=VALUE",
                   help="other GANConfig fields, e.g. batch_size=64 d_lr=4e-4 'betas=(0.0, 0.9)'")
    p.add_argument("--encoder", type=setting(gan_train.EncoderConfig), nargs="*", default=[], metavar="FIELD=VALUE",
                   help="other EncoderConfig fields, e.g. cosine=False lr=1e-3")
    p.add_argument("--threads", type=int, default=int(os.environ.get("OMP_NUM_THREADS", 1)))
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--out", default=str(Path(__file__).with_name("RESULTS_anogan.md")))
    args = p.parse_args(argv)
    text = markdown(run(args))
    print(text)
    out = Path(args.out)
    if not out.exists():
        out.write_text("# AnoGAN benchmark results\n\nWritten by `benchmarks/bench_anogan.py`.\n")
    with out.open("a") as f:
        f.write(text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
