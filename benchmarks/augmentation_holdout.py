"""Which augmentation does the capsule need? Train the VAE on 4/5 of the good training images with
each preset of ``vae.train.AUGMENTATIONS`` and score the held-out 1/5 (training set only, never the
test set): the VAE loss per image and the mean squared error of the reconstruction f_VAE(x).

    OMP_NUM_THREADS=1 python benchmarks/augmentation_holdout.py --data DIR --epochs 40
    python benchmarks/augmentation_holdout.py --dry-run        # seconds: offline data, tiny sizes

The held-out fifth is drawn by a seeded permutation (``--seed``); every preset trains from the same
seed on the same images.
"""
from __future__ import annotations

import argparse
import datetime

import torch

from lecture_utils.data.mvtec import image_channels, load_split
from lecture_utils.data.sources import TUNING_SEED, capsule
from lecture_utils.vae.model import VAE, reconstruct, vae_loss
from lecture_utils.vae.train import AUGMENTATIONS, VAEConfig, train_vae


def held_out(model, x: torch.Tensor) -> tuple[float, float]:
    """(VAE loss per image, MSE of f_VAE(x)) on the images x [N, C, H, W], z = mu."""
    x_hat = reconstruct(model, x)
    with torch.no_grad():
        _, mu, logvar = model(x.to(next(model.parameters()).device))
    loss = vae_loss(x, x_hat, mu.cpu(), logvar.cpu()).mean().item()
    return loss, (x - x_hat).pow(2).mean().item()


def main(argv=None) -> dict:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--data", default=None, help="MVTec-layout folder (default: the offline data)")
    p.add_argument("--epochs", type=int, default=40)
    p.add_argument("--presets", nargs="+", default=list(AUGMENTATIONS), choices=list(AUGMENTATIONS))
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--threads", type=int, default=None)
    p.add_argument("--dry-run", action="store_true", help="1 epoch on 10 images")
    args = p.parse_args(argv)
    if args.threads:
        torch.set_num_threads(args.threads)
    root = args.data or str(capsule(seed=TUNING_SEED)[0])
    channels = image_channels(root)
    images = load_split(root, "train", VAE.image_size, channels).images
    epochs = 1 if args.dry_run else args.epochs
    if args.dry_run:
        images = images[:10]
    order = torch.randperm(len(images), generator=torch.Generator().manual_seed(args.seed))
    cut = len(images) // 5
    train, test = images[order[cut:]], images[order[:cut]]
    rows = {}
    for name in args.presets:
        config = VAEConfig(channels=channels, epochs=epochs, augment=name, seed=args.seed)
        model, _ = train_vae(train, config, progress=not args.dry_run)
        rows[name] = held_out(model.cpu(), test)
    print(f"{root}: {len(train)} training / {len(test)} held-out images, {epochs} epochs, "
          f"{datetime.datetime.now(datetime.timezone.utc):%Y-%m-%d %H:%M UTC}")
    print(f"{'augmentation':<12} {'held-out loss per image':>24} {'held-out MSE':>13}")
    for name, (loss, mse) in rows.items():
        print(f"{name:<12} {loss:>24.0f} {mse:>13.4f}")
    return rows


if __name__ == "__main__":
    main()
