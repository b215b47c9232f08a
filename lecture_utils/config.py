"""Where files go, which device runs, and the one switch that shrinks every lecture for CI.

Set ``LECTURE_UTILS_REDUCED=1`` and every lecture takes the same code path with smaller numbers
(fewer epochs, iterations and images).  Nothing is skipped.
"""
from __future__ import annotations

import os
import random
import sys
from pathlib import Path

import numpy as np
import torch

from .errors import SettingError
from .messages import say, tell

REDUCED_ENV = "LECTURE_UTILS_REDUCED"
DATA_ENV = "LECTURE_UTILS_DATA"
COLAB_DATA = Path("/content/lecture_utils_data")   # Colab's Files panel shows /content


ON, OFF = ("1", "true", "yes", "on"), ("", "0", "false", "no", "off")


def switch(name: str) -> bool:
    """The on/off environment variable ``name``: on (1, true, yes, on) or off (0, false, no, off,
    empty or unset), any case; anything else is a SettingError (a ValueError) naming the variable."""
    value = os.environ.get(name, "")
    if value.strip().lower() not in ON + OFF:
        raise SettingError("env_switch", name=name, value=value)
    return value.strip().lower() in ON


def is_reduced() -> bool:
    """True when ``LECTURE_UTILS_REDUCED`` is on (see `switch`)."""
    return switch(REDUCED_ENV)


def pick(full, reduced):
    """The lecture's number, or the reduced one when ``LECTURE_UTILS_REDUCED`` is set."""
    return reduced if is_reduced() else full


def in_colab() -> bool:
    """True inside a Google Colab runtime (its ``google.colab`` module is loaded; the grader's
    stand-in, ``sandbox.COLAB_STUB``, is not Colab)."""
    module = sys.modules.get("google.colab")
    return module is not None and not getattr(module, "STAND_IN", False)


def data_dir() -> Path:
    """The download and cache folder.

    ``$LECTURE_UTILS_DATA`` if set (``USE_DRIVE`` sets it to a folder on Google Drive); else in
    Colab ``/content/lecture_utils_data``, a folder its Files panel shows (for uploading the data by
    hand); else ``data/`` of the source checkout this package lives in; else ``~/.cache/lecture_utils``
    (a pip install from Git).
    """
    if os.environ.get(DATA_ENV):
        root = Path(os.environ[DATA_ENV]).expanduser()
        try:
            root.mkdir(parents=True, exist_ok=True)
        except OSError as e:               # a file there, or no permission: name the variable
            why = say("why_a_file") if root.is_file() else e.strerror or e
            raise SettingError("env_not_folder", name=DATA_ENV, path=root, why=why) from None
        return root
    if in_colab():
        root = COLAB_DATA
    else:
        checkout = Path(__file__).resolve().parent.parent / "data"
        root = checkout if (checkout / "README.md").is_file() else Path.home() / ".cache" / "lecture_utils"
    root.mkdir(parents=True, exist_ok=True)
    return root


DEVICES = ("auto", "cpu", "cuda", "mps")


def pick_device(prefer: str | None = None) -> torch.device:
    """CUDA if present, then Apple's MPS, else the CPU; ``prefer`` ('cpu', 'cuda', 'cuda:1', 'mps'
    or 'auto' = None) overrides.  Asking for a device this machine lacks is a SettingError (a ValueError)."""
    prefer = str(prefer).strip().lower() if prefer is not None else "auto"
    mps = getattr(torch.backends, "mps", None) is not None and torch.backends.mps.is_available()
    if prefer == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "mps" if mps else "cpu")
    kind = prefer.split(":")[0]
    unknown = SettingError("device_unknown", device=prefer, choices=", ".join(DEVICES))
    if kind not in DEVICES[1:]:
        raise unknown
    try:
        device = torch.device(prefer)
    except RuntimeError as e:
        raise unknown from e
    if kind == "cuda" and not torch.cuda.is_available():
        raise SettingError("device_no_cuda", torch=torch.__version__)
    if kind == "cuda" and device.index is not None and device.index >= torch.cuda.device_count():
        raise SettingError("device_no_index", device=prefer, count=torch.cuda.device_count())
    if kind == "mps" and not mps:
        raise SettingError("device_no_mps")
    return device


def seed_everything(seed: int) -> torch.Generator:
    """Seed Python, NumPy and torch; return a CPU generator for code that wants its own stream."""
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)
    return torch.Generator().manual_seed(seed)


def show_device(device) -> None:
    """Print the one line saying which device computes, and whether settings are reduced."""
    tell("device_reduced" if is_reduced() else "device", device=device)


_slow_cpu_said = False   # warn_if_slow says its line once per process (a notebook), however often called


def warn_if_slow(device) -> None:
    """Print one line, once per process, when training at the lecture's full settings would run on
    the CPU: in Colab a GPU runtime is one menu away.  Silent on a GPU and in reduced mode."""
    global _slow_cpu_said
    if torch.device(device).type == "cpu" and not is_reduced() and not _slow_cpu_said:
        _slow_cpu_said = True
        tell("slow_cpu")
