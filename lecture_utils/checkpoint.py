"""Checkpoints that survive a Colab disconnect: written atomically, loaded safely, and knowing what
they belong to.

Every file is read with ``torch.load(weights_only=True)``: tensors, dicts, lists, tuples, numbers
and strings load; a file that would run code when unpickled is refused.  A training loop keeps its
checkpoints through a :class:`Checkpointer`: progress in ``partial_path(out)`` (never under the final
name) with the run's settings and the identity of its data (``data_identity``), the finished run in
``out``; a resume with anything different is refused by ``check_resumable`` naming what differs.
"""
from __future__ import annotations

import hashlib
import json
import os
import pickle
from contextlib import contextmanager
from dataclasses import asdict
from pathlib import Path

import torch
from torch import nn

from .config import data_dir
from .errors import Diverged, LectureError, Stopped
from .messages import say, tell
from .outputs import replacing
from .progress import bar as progress_bar

PARTIAL = ".partial"
FORMAT = 2   # checkpoints record their data and whether they are complete; part of cache_file's key


class ResumeError(LectureError, ValueError):
    """A checkpoint that does not belong to this run (other settings, data or more epochs)."""


class CheckpointError(LectureError, ValueError):
    """A file or dict that is not usable weights: unreadable, carrying code, unfinished or for another network."""


class NoCheckpoint(LectureError, FileNotFoundError):
    """No checkpoint where one was asked for."""


def cache_file(name: str, **settings) -> Path:
    """``data_dir()/<name>-<hash of settings>.pt``: one weights file per combination of settings, so
    a re-run (or the other language's notebook) reuses weights trained with the same numbers and
    any change of settings or data trains anew. ``name`` may contain a sub-folder ('anogan/gan')."""
    settings = {**settings, "format": FORMAT}
    key = hashlib.sha1(json.dumps(settings, sort_keys=True, default=str).encode()).hexdigest()[:10]
    return data_dir() / f"{name}-{key}.pt"


def partial_path(path) -> Path:
    """Where a run that will end in ``path`` keeps its progress: ``path.partial``."""
    path = Path(path)
    return path.with_name(path.name + PARTIAL)


def data_identity(root, files) -> dict:
    """What a checkpoint records about its data folder: the resolved folder, the number of files and
    a SHA-1 of their relative paths and sizes (cheap: no image is read)."""
    rows = sorted((os.path.relpath(f, root), Path(f).stat().st_size) for f in files)
    digest = hashlib.sha1(json.dumps(rows).encode()).hexdigest()[:16]
    return {"folder": str(Path(root).resolve()), "files": len(rows), "fingerprint": digest}


def tensor_identity(images: torch.Tensor) -> dict:
    """What a checkpoint records about data given as a tensor: its shape and a SHA-1 of its bytes."""
    data = images.detach().cpu().contiguous()
    digest = hashlib.sha1(data.numpy().tobytes()).hexdigest()[:16]
    return {"shape": list(data.shape), "fingerprint": digest}


def check_resumable(path, saved: dict | None, config, free=("epochs",), data: dict | None = None) -> None:
    """Refuse to resume the checkpoint ``path`` (its loaded dict ``saved``) unless it was written
    with the settings of ``config`` (a dataclass) and, when given, the same ``data`` identity; the
    ``free`` fields (e.g. more epochs) may differ.  The error names what differs."""
    saved = saved or {}
    problems = _differences(saved, config, free, data)
    if problems:
        raise ResumeError("resume_other", path=path, problems="; ".join(problems[:3]))
    done, epochs = saved.get("epoch"), getattr(config, "epochs", None)
    if None not in (done, epochs) and done > epochs:
        raise ResumeError("resume_more_epochs", path=path, done=done, epochs=epochs)


def _differences(saved: dict, config, free, data: dict | None) -> list[str]:
    """What differs between the checkpoint ``saved`` and this run: 'setting lr: 0.0002 there, 0.001 now', ..."""
    now = {k: v for k, v in asdict(config).items() if k not in free}
    old = {k: v for k, v in (saved.get("config") or {}).items() if k not in free}
    problems = [say("resume_setting", change=d) for d in _changes(old, now)]
    if data is not None and _plain(saved.get("data")) != _plain(data):
        problems += [say("resume_data", change=d) for d in _changes(saved.get("data") or {}, data)] or [
            say("resume_data_differ")]
    return problems


def _changes(old: dict, new: dict) -> list[str]:
    keys, none = sorted(set(old) | set(new)), say("resume_none")
    return [say("resume_change", name=k, old=old.get(k, none), new=new.get(k, none))
            for k in keys if _plain(old.get(k)) != _plain(new.get(k))]


def _plain(value):
    """``value`` as JSON reads it back: tuples and lists compare equal (a checkpoint may store either)."""
    return json.loads(json.dumps(value, default=str))


def load_ours(path, keys) -> dict | None:
    """The checkpoint at ``path`` if it is a dict holding ``keys``; None for any other file (not a
    PyTorch file, one that would run code, another program's)."""
    try:
        state = load_checkpoint(path)
    except ValueError:
        return None
    return state if isinstance(state, dict) and set(keys) <= set(state) else None


class Checkpointer:
    """The checkpoints of one training run ``what`` (e.g. "VAE") that ends in ``path`` (None: none).

    ``start`` resumes the run from ``path.partial`` or ``path`` if written with this ``config`` (but
    for its ``free`` fields) and ``data``, refusing any other file; ``epochs()`` yields the epochs
    left, saving (finite weights only) before the first, every ``every`` epochs and after the last:
    to ``path.partial`` until the run is finished, then to ``path``; ``guard()`` ends Ctrl-C and a
    NaN loss with one line naming the last checkpoint.  ``writer``: whose files these are; ``hint``:
    a message (a catalogue key) added to a NaN's line.
    """

    def __init__(self, path, config, data: dict | None, what: str, writer: str, free=("epochs",),
                 every: int = 1, hint: str | None = None):
        self.path = None if path is None else Path(path)
        self.config, self.data, self.free, self.every = config, data, tuple(free), every
        self.what, self.writer, self.hint = what, writer, hint
        self.parts, self.history = {}, None
        self.epoch = 0          # the epoch in progress, counted from 0 (= the epochs done before it)
        self.last = None        # (epoch, path) of the last checkpoint written or resumed from
        self.trained = False    # whether epochs() trained and saved epochs

    def find(self, fresh: bool = False, keys=("config", "epoch")) -> tuple[dict | None, Path | None]:
        """``(state, path)`` to resume from: ``path.partial``, else ``path`` (more epochs may be added),
        else ``(None, None)``.  A file there that is not a dict holding ``keys`` is refused, even
        with ``fresh`` (never overwritten); ours must hold these settings and data, unless ``fresh``."""
        for path in () if self.path is None else (partial_path(self.path), self.path):
            if not path.is_file():
                continue
            state = load_ours(path, keys)
            if state is None:
                raise ResumeError("resume_not_ours", path=path, writer=self.writer)
            if not fresh:
                check_resumable(path, state, self.config, free=self.free, data=self.data)
                return state, path
        return None, None

    def start(self, parts: dict, history, fresh: bool = False, quiet: bool = False):
        """Load ``parts`` ({name: module, optimiser or torch.Generator}) from the checkpoint found, if
        any, saying so unless ``quiet``; returns the history so far (the checkpoint's, or ``history``).
        A finished run is loaded as it is: ``epochs()`` then yields nothing."""
        self.parts, self.history = parts, history
        modules = [name for name, part in parts.items() if isinstance(part, nn.Module)]
        state, where = self.find(fresh, ("config", "epoch", *modules))
        if state is None:
            return history
        for name, part in parts.items():
            if name in state:           # a published file holds no optimiser states: Adam starts afresh
                _load_into(part, state[name])
        self.history, self.epoch = state["history"], int(state["epoch"])
        self.last = (self.epoch, where)
        if not quiet:
            tell("finished" if self.epoch == self.config.epochs else "resumed", what=self.what, path=where,
                 epoch=self.epoch, epochs=self.config.epochs)
        return self.history

    def epochs(self):
        """The epochs left to train (counted from 0), saving as they finish (see the class)."""
        first = self.epoch
        if self.last is None:
            self._save(0)               # a checkpoint exists before the first NaN check
        for epoch in range(first, self.config.epochs):
            self.epoch = epoch
            yield epoch
            if (epoch + 1) % self.every == 0 or epoch + 1 == self.config.epochs:
                self._save(epoch + 1)
        if self.path is not None:
            if self.last != (self.config.epochs, self.path):
                self._save(self.config.epochs)      # a finished run found in the partial file
            partial_path(self.path).unlink(missing_ok=True)
            self.trained = first < self.config.epochs

    def bar(self, progress: bool = True):
        """``epochs()`` with a progress bar named ``what`` (hidden when no epoch is left)."""
        return progress_bar(self.epochs(), desc=self.what, initial=self.epoch, total=self.config.epochs,
                            disable=not progress or self.epoch == self.config.epochs)

    def finish(self, parts: dict, history) -> None:
        """Write ``parts`` and ``history``, trained without ``epochs()``, as the finished run."""
        self.parts, self.history = parts, history
        self._save(self.config.epochs)

    @contextmanager
    def guard(self):
        """Context manager: a NaN loss (``FloatingPointError``) or Ctrl-C is re-raised as one line
        naming the epoch in progress and the last checkpoint (`Diverged`, `Stopped`)."""
        try:
            yield
        except FloatingPointError as e:
            kept = say("nan_kept", epoch=self.last[0], path=self.last[1]) if self.last else ""
            raise Diverged("nan_in_epoch", error=e, epoch=self.epoch + 1, kept=kept,
                           hint=say(self.hint) if self.hint else "") from e
        except KeyboardInterrupt:
            if self.path is None:
                raise
            if self.last is None:
                raise Stopped("stopped_early", what=self.what) from None
            raise Stopped("stopped", what=self.what, epoch=self.epoch + 1, saved=self.last[0],
                          path=self.last[1]) from None

    def _save(self, epoch: int) -> None:
        """Write the parts, history, settings and data after ``epoch`` epochs (finite weights only)."""
        if self.path is None:
            return
        bad = [(name, p) for name, part in self.parts.items()
               if isinstance(part, nn.Module) for p, value in part.named_parameters() if not value.isfinite().all()]
        if bad:
            raise Diverged("nan_weights", what=self.what, part=bad[0][0], parameter=bad[0][1])
        where = self.path if epoch == self.config.epochs else partial_path(self.path)
        state = {name: _state_of(part) for name, part in self.parts.items()}
        save_checkpoint(state | {"epoch": epoch, "history": self.history, "config": asdict(self.config),
                                 "data": self.data, "complete": epoch == self.config.epochs}, where)
        self.last = (epoch, where)


def _state_of(part):
    """What a checkpoint holds of a module or optimiser (state_dict) or a torch.Generator (its state)."""
    return part.get_state() if isinstance(part, torch.Generator) else part.state_dict()


def _load_into(part, state) -> None:
    if isinstance(part, torch.Generator):
        part.set_state(state.cpu())
    else:
        part.load_state_dict(state)


def save_checkpoint(state: dict, path: str | os.PathLike) -> Path:
    """``torch.save`` of ``state`` through ``outputs.replacing``: a crash mid-write leaves the previous
    checkpoint intact."""
    with replacing(path) as f:
        torch.save(state, f)
    return Path(path)


def load_checkpoint(path: str | os.PathLike, map_location="cpu") -> dict:
    """Load a checkpoint written by :func:`save_checkpoint` (or any ``torch.save`` file of tensors,
    dicts, lists and numbers) with ``weights_only=True``: a file carrying code is refused, unrun."""
    path = Path(path)
    if not path.is_file():
        partial = partial_path(path)
        raise NoCheckpoint("no_checkpoint", path=path,
                           unfinished=say("no_checkpoint_partial", partial=partial) if partial.is_file() else "")
    try:
        return torch.load(path, map_location=map_location, weights_only=True)
    except pickle.UnpicklingError as e:        # weights_only refused what the pickle holds
        code = unsafe_globals(path)
        if code:
            raise CheckpointError("checkpoint_code", path=path, names=", ".join(code[:3])) from e
        raise CheckpointError("checkpoint_not_torch", path=path) from e
    except Exception as e:                     # a truncated file, another format, an empty file ...
        first = next(iter(str(e).strip().splitlines()), "")
        raise CheckpointError("checkpoint_unreadable", path=path,
                              error=type(e).__name__ + (": " + first[:160] if first else "")) from e


def unsafe_globals(path) -> list[str]:
    """The classes and functions a ``torch.save`` file names that ``weights_only`` refuses, e.g.
    ``['builtins.open']`` (``torch.serialization.get_unsafe_globals_in_checkpoint``: the pickle is
    read, nothing is run); [] for a file torch cannot read that way (not its zip format)."""
    try:
        return sorted(torch.serialization.get_unsafe_globals_in_checkpoint(path))
    except Exception:                          # not a zip checkpoint, or a damaged one: nothing to name
        return []


def refuse_unfinished(state, path) -> None:
    """CheckpointError if the loaded checkpoint ``state`` of ``path`` is an unfinished training run
    (``complete`` False: a ``.partial`` file, or a copy of one under any name)."""
    if isinstance(state, dict) and state.get("complete") is False:
        raise CheckpointError("checkpoint_unfinished", path=path, epoch=state.get("epoch"),
                              epochs=(state.get("config") or {}).get("epochs"))


def load_weights(model: nn.Module, source) -> nn.Module:
    """Load a ``state_dict`` (or a checkpoint dict holding one under ``'model'``) into ``model``.

    ``source`` is a path or a dict. A checkpoint made for another architecture raises a
    CheckpointError (a ValueError) naming the missing, unexpected and mis-shaped keys.
    """
    state = load_checkpoint(source) if isinstance(source, (str, os.PathLike)) else source
    if isinstance(state, dict) and "model" in state and isinstance(state["model"], dict):
        state = state["model"]
    if not isinstance(state, dict):
        raise CheckpointError("not_state_dict", got=type(state).__name__)
    own = model.state_dict()
    missing = sorted(set(own) - set(state))
    unexpected = sorted(set(state) - set(own))
    shapes = sorted(k for k in set(own) & set(state) if tuple(own[k].shape) != tuple(state[k].shape))
    if missing or unexpected or shapes:
        raise CheckpointError("weights_not_fit", model=type(model).__name__, missing=missing[:5],
                              unexpected=unexpected[:5], shapes=shapes[:5])
    model.load_state_dict(state)
    return model
