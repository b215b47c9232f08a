"""Training input pipeline: images/s of one training step fed three ways, in one run.

* pure model compute: a fixed pre-made batch, no augmentation (the floor);
* ours: ``vae.train.train_epoch`` (images decoded once, batched augmentation on the device);
* the lecture's: a PIL-per-item Dataset + torchvision transforms (RandomAffine, flips) + DataLoader.

    python benchmarks/bench_vae_input.py [--data DIR] [--images 100] [--augment lecture]
"""
from __future__ import annotations

import time

import common
import torch
import torchvision.transforms as T
from PIL import Image

from lecture_utils.data.mvtec import index_split, load_split
from lecture_utils.vae.train import VAEConfig, make_model, make_optimizer, train_epoch, train_step


class LectureDataset(torch.utils.data.Dataset):
    """The lecture's loader: open, resize and augment one PNG per item with PIL."""

    def __init__(self, paths, transform):
        self.paths, self.transform = paths, transform

    def __len__(self):
        return len(self.paths)

    def __getitem__(self, i):
        return self.transform(Image.open(self.paths[i]).convert("RGB")), torch.zeros(1)


def main(argv=None) -> None:
    p = common.parser(__doc__, images=100)
    p.add_argument("--augment", default="lecture", choices=("light", "lecture"))
    p.add_argument("--repeats", type=int, default=2)
    args = p.parse_args(argv)
    device, root = common.setup(args)
    cfg = VAEConfig(epochs=1, augment=args.augment)
    images = load_split(root, "train", 128, 3).images[:args.images].to(device)
    paths = [it.path for it in index_split(root, "train")][:args.images]
    model, gen = make_model(cfg, device), torch.Generator().manual_seed(0)
    opt = make_optimizer(model, cfg)
    n, b = len(images), cfg.batch_size
    transform = T.Compose([T.Resize((128, 128)), T.RandomAffine(degrees=[-60, 60], translate=(0.1, 0.1), scale=(0.5, 1.5)),
                           T.RandomHorizontalFlip(), T.RandomVerticalFlip(), T.ToTensor()])
    loader = torch.utils.data.DataLoader(LectureDataset(paths, transform), batch_size=b, shuffle=True)
    fixed = images[:b]

    def pure():
        for _ in range(0, n, b):
            train_step(model, opt, fixed)

    def ours():
        train_epoch(model, opt, images, cfg, gen)

    def lecture():
        for x, _ in loader:
            train_step(model, opt, x.to(device))

    times = {name: [] for name in ("pure", "ours", "lecture")}
    for _ in range(args.repeats):  # interleaved, best of repeats: fair under a shared CPU
        for name, fn in (("pure", pure), ("ours", ours), ("lecture", lecture)):
            start = time.perf_counter()
            fn()
            times[name].append(time.perf_counter() - start)
    best = {k: min(v) for k, v in times.items()}
    print(f"device {device}, {torch.get_num_threads()} threads, {n} images/epoch, batch {b}, augment {args.augment}")
    print("| input pipeline | images/s | time vs pure compute |")
    print("|---|---|---|")
    for name, label in (("pure", "pure model compute (pre-made batch)"),
                        ("ours", f"ours: decoded once, batched '{args.augment}' augmentation"),
                        ("lecture", "lecture: PIL per item + torchvision transforms")):
        print(f"| {label} | {n / best[name]:.1f} | {100 * (best[name] / best['pure'] - 1):+.1f}% |")


if __name__ == "__main__":
    main()
