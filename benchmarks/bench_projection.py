"""Projection throughput: the batched ``lecture_utils.vae.projection.project`` vs the lecture's loop.

The lecture projects one image at a time (DataLoader with batch_size=1, MSE energy with the
reconstruction detached, three ``.cpu().numpy()`` copies per step for its plots).  We time the same
number of steps on the same images, in one run, and print images/s and the ratio.

    python benchmarks/bench_projection.py [--data DIR] [--images 32] [--iterations 20] [--batch 32]
"""
from __future__ import annotations

import time

import common
import torch
import torch.nn as nn

from lecture_utils.data.mvtec import load_split
from lecture_utils.vae.model import VAE
from lecture_utils.vae.projection import ProjectionConfig, project_all


def lecture_loop(model, images, iterations, alpha=0.5, lam=0.05, device="cpu"):
    """The original lecture's per-image projection (dead code and plotting copies kept, Variable removed)."""
    mse = nn.MSELoss(reduction="sum")
    for x_org in images.split(1):
        x_org = x_org.to(device).requires_grad_(True)
        rec_x = model(x_org)[0].detach()
        mse(x_org, rec_x).backward()
        grads = x_org.grad
        x_t = x_org - alpha * grads * (x_org - rec_x) ** 2
        keep = [grads[0].cpu().numpy(), rec_x[0].cpu().numpy(), x_t[0].detach().cpu().numpy()]
        for _ in range(iterations - 1):
            x_t = x_t.detach().clamp(0, 1).requires_grad_(True)
            rec_x = model(x_t)[0].detach()
            rec_loss = mse(x_t, rec_x)
            if rec_loss <= 0.5:
                break
            loss = rec_loss + lam * torch.abs(x_t - x_org).sum()
            loss.backward()
            grads = x_t.grad
            x_t = x_t - alpha * grads * (x_t - rec_x) ** 2
            keep += [grads[0].cpu().numpy(), rec_x[0].cpu().numpy(), x_t[0].detach().cpu().numpy()]


def timed(fn) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def main(argv=None) -> None:
    p = common.parser(__doc__, images=32)
    p.add_argument("--iterations", type=int, default=20)
    p.add_argument("--batch", type=int, default=32)
    args = p.parse_args(argv)
    device, root = common.setup(args)
    images = load_split(root, "test", 128, 3).images[:args.images]
    model = VAE().to(device).eval()
    n, k = len(images), args.iterations
    cfg = ProjectionConfig(iterations=k - 1)  # k energy evaluations, like the lecture's k steps
    t_lecture = timed(lambda: lecture_loop(model, images, k, device=device))
    t_ours_lecture = timed(lambda: project_all(model, images, ProjectionConfig(iterations=k - 1, energy="lecture"),
                                               args.batch, progress=False))
    t_ours_paper = timed(lambda: project_all(model, images, cfg, args.batch, progress=False))
    print(f"device {device}, {torch.get_num_threads()} threads, {n} images x {k} steps, batch {args.batch}")
    print("| projection | images/s | vs lecture loop |")
    print("|---|---|---|")
    for name, t in [("lecture's per-image loop (MSE, detached)", t_lecture),
                    ("batched, lecture energy", t_ours_lecture),
                    ("batched, paper energy (grad through VAE)", t_ours_paper)]:
        print(f"| {name} | {n / t:.2f} | {t_lecture / t:.1f}x |")


if __name__ == "__main__":
    main()
