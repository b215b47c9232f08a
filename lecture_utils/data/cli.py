"""Make, download and inspect MVTec-layout data folders (python -m lecture_utils data ...).

    data synthetic-capsule OUT [--seed S]
    data digits OUT --normal 7 8 --anomaly 2 [--mnist-root DIR] [--download]
    data download {lecture,mvtec-capsule,mnist} [--dir DIR]
    data info DIR [--json]
"""
from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path


def register(groups) -> None:
    parser = groups.add_parser("data", help="make, download and inspect data folders",
                               description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("synthetic-capsule", help="write the procedural capsule (MVTec layout)")
    p.add_argument("out", type=Path, help="folder to write (replaced if it exists)")
    p.add_argument("--seed", type=int, default=0)
    p.set_defaults(func=synthetic_capsule)

    p = sub.add_parser("digits", help="write normal/anomaly digits as an MVTec-layout folder of 64x64 PNGs")
    p.add_argument("out", type=Path)
    p.add_argument("--normal", type=int, nargs="+", default=[7, 8], metavar="D")
    p.add_argument("--anomaly", type=int, nargs="+", default=[2], metavar="D")
    p.add_argument("--mnist-root", type=Path, default=None,
                   help="folder with MNIST/raw/*(.gz) (default: $LECTURE_UTILS_MNIST or the cache)")
    p.add_argument("--download", action="store_true", help="download MNIST if it is not found")
    p.add_argument("--n-train", type=int, default=400)
    p.add_argument("--n-test", type=int, default=200)
    p.add_argument("--seed", type=int, default=0)
    p.set_defaults(func=digits)

    p = sub.add_parser("download", help="download a data set into the cache (checked, unpacked)")
    p.add_argument("name", choices=["lecture", "mvtec-capsule", "mnist"])
    p.add_argument("--dir", type=Path, default=None, help="cache folder (default: data/ of the checkout)")
    p.set_defaults(func=download)

    p = sub.add_parser("info", help="count images per split and type, and masks")
    p.add_argument("dir", type=Path)
    p.add_argument("--json", action="store_true", help="print JSON")
    p.set_defaults(func=info)


def synthetic_capsule(args) -> int:
    from .synthetic import default_spec, write_synthetic_capsule
    out = write_synthetic_capsule(args.out, replace(default_spec(), seed=args.seed))
    print(f"wrote the synthetic capsule (seed {args.seed}) to {out}")
    return 0


def digits(args) -> int:
    from .digits import digit_sets, write_digit_folder
    source = "mnist" if args.mnist_root is not None or args.download else "auto"
    sets = digit_sets(args.normal, args.anomaly, n_train=args.n_train, n_test=args.n_test,
                      source=source, mnist_root=args.mnist_root, download=args.download, seed=args.seed)
    write_digit_folder(args.out, sets)
    what = "MNIST" if sets.source == "mnist" else "scikit-learn's bundled digits (MNIST not found)"
    print(f"wrote {len(sets.train)} train and {len(sets.test)} test digits from {what} to {args.out}")
    return 0


def download(args) -> int:
    from . import download as dl
    if args.name == "mnist":
        folder = dl.mnist_root(None, download=True, folder=args.dir)
    else:
        folder = dl.fetch(args.name, args.dir)
    print(f"{args.name}: ready in {folder}")
    return 0


def info(args) -> int:
    from .mvtec import summarize
    summary = summarize(args.dir)
    if args.json:
        print(json.dumps(summary, indent=1))
        return 0
    w, h = summary["image_size"]
    print(f"{summary['root']}: {summary['images']} images ({w}x{h} {summary['mode']}), {summary['masks']} masks")
    for split, counts in summary["splits"].items():
        detail = ", ".join(f"{name} {n}" for name, n in counts.items())
        print(f"  {split:5s} {sum(counts.values()):4d}  ({detail})")
    return 0
