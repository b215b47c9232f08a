"""Where files go, which device runs, and the one switch that shrinks every lecture for CI.

Set ``LECTURE_UTILS_REDUCED=1`` and every lecture takes the same code path with smaller numbers
(fewer epochs, iterations and images).  Nothing is skipped.
"""
from __future__ import annotations

import os
import random
from pathlib import Path

import numpy as np
import torch

REDUCED_ENV = "LECTURE_UTILS_REDUCED"
DATA_ENV = "LECTURE_UTILS_DATA"


def is_reduced() -> bool:
    """True when ``LECTURE_UTILS_REDUCED`` is set to anything but '', '0', 'false' or 'no'."""
    return os.environ.get(REDUCED_ENV, "").strip().lower() not in ("", "0", "false", "no")


def pick(full, reduced):
    """The lecture's number, or the reduced one when ``LECTURE_UTILS_REDUCED`` is set."""
    return reduced if is_reduced() else full


def data_dir() -> Path:
    """The download and cache folder.

    ``$LECTURE_UTILS_DATA`` if set; else ``data/`` of the source checkout this package lives in;
    else ``~/.cache/lecture_utils`` (a pip install from Git, e.g. in Colab).
    """
    if os.environ.get(DATA_ENV):
        root = Path(os.environ[DATA_ENV]).expanduser()
    else:
        checkout = Path(__file__).resolve().parent.parent / "data"
        root = checkout if (checkout / "README.md").is_file() else Path.home() / ".cache" / "lecture_utils"
    root.mkdir(parents=True, exist_ok=True)
    return root


def pick_device(prefer: str | None = None) -> torch.device:
    """CUDA if present, then Apple's MPS, else the CPU (``prefer`` overrides, e.g. 'cpu')."""
    if prefer:
        return torch.device(prefer)
    if torch.cuda.is_available():
        return torch.device("cuda")
    if getattr(torch.backends, "mps", None) is not None and torch.backends.mps.is_available():
        return torch.device("mps")
    return torch.device("cpu")


def seed_everything(seed: int) -> torch.Generator:
    """Seed Python, NumPy and torch; return a CPU generator for code that wants its own stream."""
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)
    return torch.Generator().manual_seed(seed)


def warn_if_slow(device) -> str | None:
    """Print (and return) one line when training at the lecture's full settings would run on the
    CPU: in Colab a GPU runtime is one menu away.  Silent on a GPU and in reduced mode."""
    if torch.device(device).type != "cpu" or is_reduced():
        return None
    message = ("Training at full settings on the CPU takes minutes per model (seconds on a GPU). In "
               "Colab choose Runtime > Change runtime type > GPU (e.g. T4) and run the notebook again.")
    print(message)
    return message
