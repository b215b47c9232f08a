"""Rebuild the lecture archive's layout from an MVTec-layout capsule folder, to run the Colab default path.

The lecture's ``anomaly_detection_data.zip`` (Google Drive; ``lecture_utils.data.download.LECTURE``)
holds ``anomaly_detection_data/capsule/{train,test,ground_truth}`` with 512x512 PNGs and
``anomaly_detection_data/trained_model.pt`` (the seed VAE's ``state_dict``).  When that archive
cannot be downloaded, this script writes the same layout from a capsule folder (e.g. MVTec AD's,
256x256 here): images resized with bicubic, masks with nearest (so they stay 0/255), and, with
``--weights``, a ``trained_model.pt`` holding only the VAE's ``state_dict`` (from our checkpoint,
its ``.partial``, or a state_dict).  With ``--cache`` it also zips the folder into
``CACHE/anomaly_detection_data.zip`` and unpacks it as a download would (``download.fetch``), so
``DATA = "auto"`` and ``sources.lecture_weights()`` find it with no network.

    python benchmarks/lecture_archive_layout.py ../shared/datasets/capsule /tmp/layout [--size 512]
    python benchmarks/lecture_archive_layout.py ../shared/datasets/capsule /tmp/layout \\
        --weights ckpt.pt.partial --cache /tmp/cache      # then LECTURE_UTILS_DATA=/tmp/cache
"""
from __future__ import annotations

import argparse
import shutil
from pathlib import Path

import torch
from PIL import Image

TOP = "anomaly_detection_data"   # the archive's top folder (tests/test_sources.py's LECTURE_FILES)


def build_layout(capsule, out, size: int = 512) -> Path:
    """Write ``out/anomaly_detection_data/capsule`` from ``capsule`` with every PNG resized to
    ``size`` x ``size`` (masks by nearest neighbour); return the ``anomaly_detection_data`` folder."""
    capsule, top = Path(capsule), Path(out) / TOP
    for src in sorted(capsule.rglob("*.png")):
        rel = src.relative_to(capsule)
        if rel.parts[0] not in ("train", "test", "ground_truth") or any(p.startswith(".") for p in rel.parts):
            continue
        dst = top / "capsule" / rel
        dst.parent.mkdir(parents=True, exist_ok=True)
        resample = Image.NEAREST if rel.parts[0] == "ground_truth" else Image.BICUBIC
        with Image.open(src) as im:
            im.resize((size, size), resample).save(dst)
    return top


def write_state_dict(weights, top) -> Path:
    """``top/trained_model.pt``: the plain VAE ``state_dict`` (the seed's format) from ``weights``
    (our checkpoint or its ``.partial``, whose ``"model"`` entry it is, or a state_dict already)."""
    state = torch.load(weights, map_location="cpu", weights_only=False)
    sd = state["model"] if isinstance(state, dict) and isinstance(state.get("model"), dict) else state
    if "mu_fc.weight" not in sd:
        raise ValueError(f"{weights} holds no VAE state_dict")
    path = Path(top) / "trained_model.pt"
    torch.save({k: v.clone() for k, v in sd.items()}, path)
    return path


def install(top, cache) -> Path:
    """Zip ``top`` as ``cache/anomaly_detection_data.zip`` and unpack it as a download would;
    return the unpacked folder (``cache/lecture``)."""
    from lecture_utils.data import download
    cache = Path(cache)
    cache.mkdir(parents=True, exist_ok=True)
    base = cache / Path(download.LECTURE.filename).stem
    shutil.make_archive(str(base), "zip", root_dir=Path(top).parent, base_dir=TOP)
    return download.fetch(download.LECTURE, cache)


def main(argv=None) -> Path:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("capsule", help="MVTec-layout capsule folder (train/, test/, ground_truth/)")
    p.add_argument("out", help="where to write anomaly_detection_data/")
    p.add_argument("--size", type=int, default=512, help="side of the written images (the archive's: 512)")
    p.add_argument("--weights", default=None, help="checkpoint or state_dict to store as trained_model.pt")
    p.add_argument("--cache", default=None, help="also zip and unpack into this cache folder")
    args = p.parse_args(argv)
    top = Path(args.out) / TOP
    if not (top / "capsule").is_dir():
        top = build_layout(args.capsule, args.out, args.size)
    if args.weights:
        print("weights:", write_state_dict(args.weights, top))
    if args.cache:
        print("unpacked:", install(top, args.cache))
    print("layout:", top)
    return top


if __name__ == "__main__":
    main()
