"""The lecturer's half of lecture 2's published weights: the release zip (``python -m lecture_tools
anogan release``), made from the finished cache files a full-settings run of the notebook leaves in
``CACHE/anogan/``. The student's half (download, checks, copy into the cache) is
``lecture_utils.anogan.published``, which names the zip, its manifest and its folder.
"""
from __future__ import annotations

import hashlib
import io
import zipfile
from pathlib import Path

import torch

from lecture_utils.anogan.published import FOLDER, MANIFEST, sha256
from lecture_utils.checkpoint import PARTIAL, load_checkpoint, refuse_unfinished
from lecture_utils.outputs import OutputError, check_writable, creating


def finished_files(data_dir) -> dict[Path, dict]:
    """The finished checkpoints in ``data_dir/anogan``; ValueError naming a ``.partial`` file (an
    unfinished run) or a file that is unfinished or records no settings and data."""
    folder = Path(data_dir) / FOLDER
    partial = sorted(folder.glob(f"*{PARTIAL}"))
    if partial:
        raise ValueError(f"{partial[0]} is an unfinished training run; finish it (run the notebook again) "
                         "or remove it before publishing")
    files = sorted(folder.glob("*.pt"))
    if not files:
        raise ValueError(f"no finished checkpoints (*.pt) in {folder}; run the lecture 2 notebook first")
    states = {}
    for path in files:
        state = states[path] = load_checkpoint(path)
        refuse_unfinished(state, path)
        if not isinstance(state, dict) or not {"config", "data"} <= set(state):
            raise ValueError(f"{path} records no settings and data; it is not a cache file of the notebook")
    return states


def weights_only(state: dict) -> bytes:
    """A finished checkpoint's ``state`` without the optimisers' states (``opt_*``: Adam's two moments
    triple a GAN file and nothing needs them once training is over), as ``torch.save`` bytes."""
    state = {k: v for k, v in state.items() if not k.startswith("opt_")}
    buffer = io.BytesIO()
    torch.save(state, buffer)
    return buffer.getvalue()


def release(data_dir, out) -> tuple[Path, str, list[str]]:
    """Zip the finished checkpoints of ``data_dir/anogan``, without optimiser states
    (`weights_only`), as ``anogan/NAME.pt`` with ``SHA256SUMS``
    into ``out`` (written beside it, then linked into place: an existing file is never replaced);
    returns ``(out, SHA-256 of the zip)``."""
    out = check_writable(out, "--out")
    if out.exists():
        raise OutputError({"en": "--out {out} exists; it is never overwritten, choose another name",
                           "ja": "--out {out} があります。上書きはしないので、別の名前を選んでください"}, out=out)
    members = {f"{FOLDER}/{p.name}": weights_only(state) for p, state in finished_files(data_dir).items()}
    manifest = "".join(f"{hashlib.sha256(body).hexdigest()}  {name}\n" for name, body in members.items())
    with creating(out) as f, zipfile.ZipFile(f, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr(MANIFEST, manifest)
        for name, body in members.items():
            z.writestr(name, body)
    return out, sha256(out), list(members)
