"""Checkpoints that survive a Colab disconnect: written atomically, loaded with clear errors."""
from __future__ import annotations

import hashlib
import json
import os
import tempfile
from dataclasses import asdict
from pathlib import Path

import torch
from torch import nn

from .config import data_dir


def cache_file(name: str, **settings) -> Path:
    """``data_dir()/<name>-<hash of settings>.pt``: one weights file per combination of settings, so
    a re-run (or the other language's notebook) reuses weights trained with the same numbers and
    any change of settings or data trains anew. ``name`` may contain a sub-folder ('anogan/gan')."""
    key = hashlib.sha1(json.dumps(settings, sort_keys=True, default=str).encode()).hexdigest()[:10]
    return data_dir() / f"{name}-{key}.pt"


def check_resumable(path, saved: dict | None, config, free=("epochs",)) -> None:
    """Refuse to resume the checkpoint ``path`` unless it was saved with the settings of ``config``
    (a dataclass); the ``free`` fields (e.g. more epochs) may differ."""
    now = {k: v for k, v in asdict(config).items() if k not in free}
    old = {k: v for k, v in (saved or {}).items() if k not in free}
    if old != now:
        raise ValueError(f"{path} was trained with other settings {saved}; delete it or pass another checkpoint path")


def save_checkpoint(state: dict, path: str | os.PathLike) -> Path:
    """Write ``state`` with ``torch.save`` to a temp file beside ``path``, then rename it over ``path``.

    A crash mid-write leaves the previous checkpoint intact (``os.replace`` is atomic).
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=path.name + ".", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as f:
            torch.save(state, f)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path


def load_checkpoint(path: str | os.PathLike, map_location="cpu") -> dict:
    """Load a checkpoint written by :func:`save_checkpoint` (or any ``torch.save`` file)."""
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"no checkpoint at {path}")
    try:
        return torch.load(path, map_location=map_location, weights_only=False)
    except Exception as e:  # truncated file, not a torch file, ...
        raise ValueError(f"{path} is not a readable PyTorch checkpoint ({type(e).__name__}: {e})") from e


def load_weights(model: nn.Module, source, strict: bool = True) -> nn.Module:
    """Load a ``state_dict`` (or a checkpoint dict holding one under ``'model'``) into ``model``.

    ``source`` is a path or a dict. A checkpoint made for another architecture raises a
    ``ValueError`` naming the missing, unexpected and mis-shaped keys.
    """
    state = load_checkpoint(source) if isinstance(source, (str, os.PathLike)) else source
    if isinstance(state, dict) and "model" in state and isinstance(state["model"], dict):
        state = state["model"]
    if not isinstance(state, dict):
        raise ValueError(f"expected a state_dict, got {type(state).__name__}")
    own = model.state_dict()
    missing = sorted(set(own) - set(state))
    unexpected = sorted(set(state) - set(own))
    shapes = sorted(k for k in set(own) & set(state) if tuple(own[k].shape) != tuple(state[k].shape))
    if strict and (missing or unexpected or shapes):
        raise ValueError(
            f"these weights do not fit {type(model).__name__}: "
            f"missing {missing[:5]}, unexpected {unexpected[:5]}, wrong shape {shapes[:5]} "
            "(was the checkpoint saved for another architecture or other z_dim/channels?)"
        )
    model.load_state_dict(state, strict=strict)
    return model
