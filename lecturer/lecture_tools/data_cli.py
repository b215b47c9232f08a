"""Make, download and inspect MVTec-layout data folders (python -m lecture_tools data ...).

A folder is written beside OUT and renamed into place; an existing OUT is replaced only when it is
empty or was written by the same command (``--force``: any folder but the current one, its
parents, home or a Git checkout).
"""
from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

from .arguments import integer, number


def register(groups) -> None:
    parser = groups.add_parser("data", help="make, download and inspect data folders",
                               description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    force = dict(action="store_true", help="replace OUT even if this command did not write it")

    p = sub.add_parser("synthetic-capsule", help="write the procedural capsule (MVTec layout)")
    p.add_argument("out", type=Path, help="folder to write (must be new, empty or an earlier synthetic capsule)")
    p.add_argument("--seed", type=integer(0), default=0)
    p.add_argument("--force", **force)
    p.set_defaults(func=synthetic_capsule)

    p = sub.add_parser("digits", help="write normal/anomaly digits as an MVTec-layout folder of 64x64 PNGs")
    p.add_argument("out", type=Path, help="folder to write (must be new, empty or an earlier digit folder)")
    p.add_argument("--normal", type=integer(0), nargs="+", default=[7, 8], metavar="D")
    p.add_argument("--anomaly", type=integer(0), nargs="+", default=[2], metavar="D")
    p.add_argument("--mnist-root", type=Path, default=None,
                   help="folder with MNIST/raw/*(.gz) (default: $LECTURE_UTILS_MNIST or the cache)")
    p.add_argument("--download", action="store_true", help="download MNIST if it is not found")
    p.add_argument("--n-train", type=integer(1), default=400)
    p.add_argument("--n-test", type=integer(2), default=200, help="half normal, half anomaly")
    p.add_argument("--seed", type=integer(0), default=0)
    p.add_argument("--timeout", type=number(0, open_low=True), default=None, help="seconds per network read")
    p.add_argument("--force", **force)
    p.set_defaults(func=digits)

    p = sub.add_parser("download", help="download a data set into the cache (checked, unpacked)")
    p.add_argument("name", choices=["lecture", "mvtec-capsule", "mnist"])
    p.add_argument("--dir", type=Path, default=None, help="cache folder (default: $LECTURE_UTILS_DATA, in Colab /content/lecture_utils_data, else data/ of the checkout)")
    p.add_argument("--timeout", type=number(0, open_low=True), default=None,
                   help="seconds to wait for the server to connect or send data (default 60)")
    p.set_defaults(func=download)

    p = sub.add_parser("info", help="count images per split and type, masks, sizes and modes")
    p.add_argument("dir", type=Path)
    p.add_argument("--json", action="store_true", help="print JSON")
    p.set_defaults(func=info)


def synthetic_capsule(args) -> int:
    from lecture_utils.data.synthetic import default_spec, write_synthetic_capsule
    out = write_synthetic_capsule(args.out, replace(default_spec(), seed=args.seed), force=args.force)
    print(f"wrote the synthetic capsule (seed {args.seed}) to {out}")
    return 0


def digits(args) -> int:
    from lecture_utils.data import download as dl
    from lecture_utils.data.digits import MARKER, digit_sets, write_digit_folder
    from lecture_utils.outputs import check_folder
    check_folder(args.out, MARKER, args.force)
    if args.timeout is not None:
        dl.TIMEOUT = args.timeout
    source = "mnist" if args.mnist_root is not None or args.download else "auto"
    sets = digit_sets(args.normal, args.anomaly, n_train=args.n_train, n_test=args.n_test,
                      source=source, mnist_root=args.mnist_root, download=args.download, seed=args.seed)
    out = write_digit_folder(args.out, sets, force=args.force)
    what = "MNIST" if sets.source == "mnist" else "scikit-learn's bundled digits (MNIST not found)"
    print(f"wrote {len(sets.train)} train and {len(sets.test)} test digits from {what} to {out}")
    return 0


def download(args) -> int:
    from lecture_utils.data import download as dl
    if args.timeout is not None:
        dl.TIMEOUT = args.timeout
    if args.name == "mnist":
        folder = dl.mnist_root(None, download=True, folder=args.dir)
    else:
        folder = dl.fetch(args.name, args.dir)
    print(f"{args.name}: ready in {folder}")
    return 0


def info(args) -> int:
    from lecture_utils.data.mvtec import summarize
    summary = summarize(args.dir)
    if args.json:
        print(json.dumps(summary, indent=1))
        return 0
    formats = ", ".join(f"{f['size'][0]}x{f['size'][1]} {f['mode']}" + (f": {f['images']}" if len(summary["formats"]) > 1 else "")
                        for f in summary["formats"])
    print(f"{summary['root']}: {summary['images']} images ({formats}), {summary['masks']} masks")
    for split, counts in summary["splits"].items():
        detail = ", ".join(f"{name} {n}" for name, n in counts.items())
        print(f"  {split:5s} {sum(counts.values()):4d}  ({detail})")
    for note in summary.get("notes", []):
        print(f"  note: {note}")
    return 0
