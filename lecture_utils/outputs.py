"""Output files and folders written so that nothing is lost: never over what the package did not write.

A command that writes a folder (``data synthetic-capsule``, ``data digits``) fills a temporary
sibling and renames it into place, so a failure leaves the previous result intact.  An existing
folder is replaced only when it is empty or holds the command's *marker* (a JSON file listing what
the command wrote there) and nothing else; any other folder needs ``force``.  The current folder,
its parents, the home folder and its parents, and a folder holding ``.git`` are never replaced,
not even with ``force``.
"""
from __future__ import annotations

import json
import os
import shutil
import tempfile
from contextlib import contextmanager
from pathlib import Path

from .errors import LectureError
from .messages import say


class OutputError(LectureError, ValueError):
    """An output path that cannot or must not be written; the message names it."""


def _files(folder: Path) -> list[str]:
    return sorted(str(p.relative_to(folder)) for p in folder.rglob("*") if not p.is_dir())


def check_writable(path, what: str = "output") -> Path:
    """``path`` as a Path if a file can be created there (its folder exists or can be made, and is
    writable; ``path`` is not a folder); else OutputError naming ``what`` (e.g. '--out')."""
    path = Path(path).expanduser()
    if path.is_dir():
        raise OutputError("output_is_folder", what=what, path=path)
    parent = path.parent
    while not parent.exists():
        parent = parent.parent
    if not parent.is_dir():
        raise OutputError("output_parent_file", what=what, path=path, parent=parent)
    if not os.access(parent, os.W_OK | os.X_OK):
        raise OutputError("output_no_permission", what=what, path=path, parent=parent)
    return path


def _protected(path: Path) -> str | None:
    """Why ``path`` (resolved) must never be replaced (a catalogue key), or None."""
    cwd, home = Path.cwd().resolve(), Path.home().resolve()
    if path == cwd or path in cwd.parents:
        return "protected_cwd"
    if path == home or path in home.parents:
        return "protected_home"
    if (path / ".git").exists():
        return "protected_git"
    return None


def check_folder(out, marker: str, force: bool = False, hint: str = "hint_force") -> Path:
    """``out`` (resolved) if the folder may be (re)written by a command that leaves ``marker`` in it;
    else OutputError: a file there, a protected folder, or a non-empty folder the command did not
    write (unless ``force``; ``hint``, a catalogue key, says what to do instead)."""
    out = Path(out).expanduser().resolve()
    if out.exists() and not out.is_dir():
        raise OutputError("output_a_file", path=out)
    check_writable(out / marker, say("output_folder"))
    if not out.exists():
        return out
    reason = _protected(out)
    if reason:
        raise OutputError("output_protected", path=out, reason=say(reason))
    present = _files(out)
    if not present or force:
        return out
    written = _marker_files(out / marker)
    if written is None:
        raise OutputError("output_not_ours", path=out, hint=say(hint))
    extra = [f for f in present if f not in written and f != marker]
    if extra:
        raise OutputError("output_extra", path=out, extra=extra[0], hint=say(hint))
    return out


def _marker_files(marker: Path) -> set[str] | None:
    try:
        return set(json.loads(marker.read_text())["files"])
    except (OSError, ValueError, KeyError, TypeError):
        return None


def write_folder(out, fill, marker: str, info: dict, force: bool = False, hint: str = "hint_force",
                 done=None) -> Path:
    """Write a folder at ``out``: ``fill(tmp)`` writes into a temporary sibling, ``marker`` (``info``
    and the list of files) is added, then the folder is renamed into place.  See `check_folder`.
    ``done(out)`` True (e.g. another process wrote the same folder meanwhile) keeps ``out`` as is."""
    out = check_folder(out, marker, force, hint)
    if done is not None and not force and done(out):
        return out                          # already written with the same settings
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{out.name}-", suffix=".tmp", dir=out.parent))
    tmp.chmod(0o777 & ~umask())
    old = None
    try:
        fill(tmp)
        (tmp / marker).write_text(json.dumps({**info, "files": _files(tmp)}))
        if done is not None and done(out):
            return out
        if out.exists():
            old = Path(tempfile.mkdtemp(prefix=f".{out.name}-", suffix=".old", dir=out.parent))
            os.replace(out, old / "x")      # out moves aside; moved back if the swap fails
        try:
            os.replace(tmp, out)
        except OSError:
            if old is not None:
                os.replace(old / "x", out)
                raise
            if not (done is not None and done(out)):   # else another process wrote it meanwhile
                raise
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
        if old is not None:
            shutil.rmtree(old, ignore_errors=True)
    return out


def umask() -> int:
    """The process's umask, read without changing it (Linux: /proc/self/status), else by setting and
    restoring it."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("Umask:"):
                return int(line.split()[1], 8)
    except (OSError, ValueError, IndexError):
        pass
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def temp_beside(path: Path) -> tuple[int, str]:
    """``(fd, name)`` of a new hidden temp file beside ``path`` (never its final name) with the
    permissions an ordinary new file gets (0o666 less the umask; mkstemp alone gives 0o600)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    os.fchmod(fd, 0o666 & ~umask())
    return fd, tmp


def place_new(tmp, path: Path) -> None:
    """Give the finished file ``tmp`` the name ``path`` unless a file is there: a hard link fails if
    one appears meanwhile; where links are not supported (Google Drive in Colab) a rename after a check."""
    try:
        os.link(tmp, path)
    except FileExistsError:
        raise OutputError("output_exists", path=path) from None
    except OSError:
        if path.exists():
            raise OutputError("output_exists", path=path) from None
        os.replace(tmp, path)


@contextmanager
def _through_temp(path, put, mode: str, **open_args):
    """The file ``open(temp, mode)`` of a temp file beside ``path``, given its name by ``put(temp, path)``
    when the block ends without an error; the temp file is removed whatever happens."""
    path = Path(path)
    fd, tmp = temp_beside(path)
    try:
        with os.fdopen(fd, mode, **open_args) as f:
            yield f
        put(tmp, path)
    finally:
        Path(tmp).unlink(missing_ok=True)


def replacing(path, mode: str = "wb", **open_args):
    """A file written beside ``path`` and renamed over it when the block ends without an error
    (``os.replace`` is atomic: never half a file)."""
    return _through_temp(path, os.replace, mode, **open_args)


def creating(path, mode: str = "wb", **open_args):
    """A file written beside ``path`` and given its name when the block ends without an error, never
    over an existing file (`place_new`)."""
    return _through_temp(path, place_new, mode, **open_args)


def write_text(path, text: str) -> Path:
    """Write ``text`` to ``path`` through `replacing`."""
    with replacing(path, "w", encoding="utf-8") as f:
        f.write(text)
    return Path(path)
