"""What every lecture-1 benchmark shares: the --data/--images/--threads options and their set-up."""
from __future__ import annotations

import argparse

import torch

from lecture_utils.config import pick_device
from lecture_utils.data.sources import TUNING_SEED, capsule


def parser(doc: str, images: int) -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(description=doc.splitlines()[0])
    p.add_argument("--data", default=None, help="MVTec-layout folder (default: the tuning synthetic capsule, seed TUNING_SEED)")
    p.add_argument("--images", type=int, default=images)
    p.add_argument("--threads", type=int, default=None, help="torch CPU threads (default: torch's choice)")
    return p


def setup(args) -> tuple[torch.device, str]:
    """Apply --threads; return the device and the data folder."""
    if args.threads:
        torch.set_num_threads(args.threads)
    return pick_device(), args.data or capsule(seed=TUNING_SEED)[0]
