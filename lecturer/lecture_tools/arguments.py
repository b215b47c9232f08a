"""Command-line argument types that validate before any work starts, and what the lecture commands share.

Each returns the parsed value or raises ``argparse.ArgumentTypeError``, which ``cli.Parser`` turns
into one line naming the flag, e.g. ``error: argument --epochs: must be an integer >= 1, got '0'``.
"""
from __future__ import annotations

import argparse
import json
import math
import os
import sys
from pathlib import Path

import torch

from lecture_utils.config import DEVICES, pick_device
from lecture_utils.outputs import OutputError, check_writable


def integer(low: int):
    """An int >= ``low``."""
    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"must be an integer, got {text!r}") from None
        if value < low:
            raise argparse.ArgumentTypeError(f"must be an integer >= {low}, got {text!r}")
        return value
    return parse


def number(low: float, high: float = math.inf, open_low: bool = False):
    """A finite float in [low, high] (``open_low``: > low)."""
    def parse(text: str) -> float:
        try:
            value = float(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"must be a number, got {text!r}") from None
        if not math.isfinite(value):
            raise argparse.ArgumentTypeError(f"must be a finite number, got {text!r}")
        if value < low or (open_low and value == low) or value > high:
            upper = "" if high == math.inf else f" and <= {high:g}"
            raise argparse.ArgumentTypeError(f"must be {'>' if open_low else '>='} {low:g}{upper}, got {text!r}")
        return value
    return parse


def fits_in_memory(parse, bytes_of):
    """``parse`` (e.g. ``integer(1)``), refusing a value whose memory estimate ``bytes_of(value)``
    exceeds this machine's memory: a huge size is one line naming the flag, not an allocator crash."""
    def checked(text: str):
        value = parse(text)
        try:
            limit = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
        except (AttributeError, ValueError, OSError):   # the OS does not say
            return value
        if bytes_of(value) > limit:
            raise argparse.ArgumentTypeError(f"needs about {bytes_of(value) / 2**30:,.0f} GiB of memory, more than "
                                             f"this machine's {limit / 2**30:,.0f} GiB, got {text!r}")
        return value
    return checked


def device(text: str) -> torch.device:
    """auto, cpu, cuda[:N] or mps, available on this machine: the ``config.pick_device`` it names."""
    try:
        return pick_device(text)
    except ValueError as e:
        raise argparse.ArgumentTypeError(str(e)) from None


def add_device(parser) -> None:
    parser.add_argument("--device", type=device, default="auto", metavar="{" + ",".join(DEVICES[:3]) + "}",
                        help="auto (default: CUDA if present, else the CPU), cpu or cuda")


def note_ignored(root, folders: dict[str, int]) -> None:
    """One note on stderr per sub-folder of ``root/train`` that is not training data: ``folders`` (name:
    images) from ``data.mvtec.ignored_train_folders``."""
    for name, n in folders.items():
        print(f"note: {root}/train/{name} ({n} images) is ignored: only train/good is training data", file=sys.stderr)


def check_report_out(path, what: str, keys: set, weights) -> Path:
    """``path`` (a JSON report to write) if it is new or an earlier report of ours (a JSON object
    holding ``keys``); else OutputError naming ``what``: never the ``weights`` just read, nor any
    other file."""
    path = check_writable(path, what)
    if not path.exists():
        return path
    if Path(weights).exists() and path.samefile(weights):
        raise OutputError({"en": "{what} {path} is the weights file --weights; choose another path for the report",
                           "ja": "{what} {path} は重みファイル --weights です。報告には別のパスを選んでください"},
                          what=what, path=path)
    try:
        report = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ValueError):
        report = None
    if not isinstance(report, dict) or not keys <= set(report):
        raise OutputError({"en": "{what} {path} exists and is not a report written by this command; choose another "
                                 "path (it is never overwritten)",
                           "ja": "{what} {path} がありますが、このコマンドが書いた報告ではありません。別のパスを選んでください"
                                 "（上書きはしません）"}, what=what, path=path)
    return path
