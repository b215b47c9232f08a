"""Where a submitted notebook runs when it is graded: a bubblewrap sandbox, or a plain process that says what it leaves open.

``grading.py`` starts one Jupyter kernel per submission with :func:`kernel_command`. On Linux with
bubblewrap (``bwrap``, Debian/Ubuntu package ``bubblewrap``) the kernel, and every process it starts,
runs in a sandbox made by :func:`bwrap_options`:

* its own process namespace (it sees and can signal no other process; when the grader kills
  bwrap, or dies, every process inside dies with it) and its own network namespace (no network);
* a read-only view of the system (``/usr``, the dynamic loader's files in ``/etc``, ``/sys``), the
  Python installation and the two packages (``lecture_utils``, ``lecture_tools``), and nothing else:
  not the submissions, the bundle, the grades file, the home folder or the rest of the checkout;
* the lecturer's data folder (``$LECTURE_UTILS_DATA``) read-only, at :data:`DATA_SEEN`, behind a
  private copy of its folder tree at its usual path whose files link to it
  (``answer_runner.launch`` builds it): the notebook finds the cached data and weights, and what it
  writes there stays in the sandbox;
* writable: ``/tmp``, its home and that data folder (each a size-limited tmpfs that ends with it),
  and the two folders the grader reads back: ``out`` (answers and records) and ``ipc`` (the
  kernel's sockets and connection file, which ipykernel 6, Colab's, rewrites as it starts). The
  grader's inputs (``in``: the questions' cases)
  are read-only.

In both cases ``answer_runner.launch`` sets :class:`Limits` (``setrlimit``: memory, CPU seconds,
file size) before the kernel starts, and the kernel sees only the environment of
:func:`environment`. Without bubblewrap, :func:`missing` says in one line what is then not isolated.
"""
from __future__ import annotations

import json
import os
import shutil
import site
import subprocess
import sys
from dataclasses import asdict, dataclass
from pathlib import Path

import lecture_utils

BWRAP = "bwrap"
INSTALL = "install it with: sudo apt-get install bubblewrap"
NOT_ISOLATED = ("submitted notebooks run without a sandbox: they can read and write your files, use the "
                "network and leave processes running after grading (memory, CPU and time limits still hold); ")
SYSTEM = ("/usr", "/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32")
ETC = ("ld.so.cache", "ld.so.conf", "ld.so.conf.d", "alternatives", "fonts", "localtime", "nsswitch.conf",
       "passwd", "group", "hosts", "mime.types")
DATA_SEEN = "/run/lecture_utils/data"   # the lecturer's data folder, read-only, inside the sandbox
PACKAGES = (Path(lecture_utils.__file__).resolve().parent, Path(__file__).resolve().parent)   # what the kernel imports
KEPT_ENV = ("LANG", "LC_ALL", "LC_CTYPE", "OMP_NUM_THREADS", "MKL_NUM_THREADS", "CUDA_VISIBLE_DEVICES",
            "LECTURE_UTILS_CAPSULE", "LECTURE_UTILS_MNIST", "LECTURE_UTILS_DOWNLOAD", "LECTURE_UTILS_REDUCED")
TMPFS_BYTES = {"tmp": 1 << 30, "home": 1 << 30, "data": 4 << 30}
MAX_MIRRORED = 200_000   # files of the data folder linked into the sandbox's copy


@dataclass(frozen=True)
class Limits:
    """What each process of a submission may use (``setrlimit``): bytes of memory it allocates
    (RLIMIT_DATA), CPU seconds (RLIMIT_CPU), bytes of one file it writes (RLIMIT_FSIZE)."""
    memory: int
    cpu: int
    file: int


class Workspace:
    """One submission's temporary folder: ``home`` (its home and working folder), ``inputs`` (what
    the grader gives it, read-only in the sandbox), ``ipc`` (the kernel's sockets), ``out`` (what
    it gives back)."""

    def __init__(self, root):
        self.root = Path(root)
        self.home, self.inputs, self.ipc, self.out = (self.root / n for n in ("home", "in", "ipc", "out"))
        for folder in (self.home, self.inputs, self.ipc, self.out):
            folder.mkdir(mode=0o700)


def missing() -> str | None:
    """None when bubblewrap can make a sandbox here; else the line saying what is not isolated and why."""
    path = shutil.which(BWRAP)
    if path is None:
        return NOT_ISOLATED + f"bubblewrap (bwrap) is not installed: {INSTALL}"
    probe = [path, "--unshare-all", "--die-with-parent", "--ro-bind", "/", "/", "--proc", "/proc", "--dev", "/dev", "true"]
    try:
        run = subprocess.run(probe, capture_output=True, text=True, timeout=30)
    except (OSError, subprocess.TimeoutExpired) as e:
        return NOT_ISOLATED + f"bubblewrap could not start ({type(e).__name__})"
    if run.returncode != 0:
        why = (run.stderr.strip().splitlines() or [f"exit code {run.returncode}"])[-1][:200]
        return NOT_ISOLATED + f"bubblewrap cannot make a sandbox here ({why})"
    return None


def _python_roots() -> list[Path]:
    """The folders the kernel's Python needs: its prefixes (a venv and the Python it was made from)
    and the user's site-packages if Python reads it."""
    roots = {sys.prefix, sys.base_prefix, sys.exec_prefix, sys.base_exec_prefix}
    user = site.getusersitepackages() if site.ENABLE_USER_SITE else None
    roots |= {user} if user and os.path.isdir(user) else set()
    return sorted(Path(r).resolve() for r in roots)


def _system_options() -> list[str]:
    """The read-only system: /usr and its links, the loader's and fonts' files in /etc, /sys, GPUs."""
    options = []
    for path in SYSTEM:
        if os.path.islink(path):
            options += ["--symlink", os.readlink(path), path]
        elif os.path.isdir(path):
            options += ["--ro-bind", path, path]
    for name in ETC:
        options += ["--ro-bind-try", f"/etc/{name}", f"/etc/{name}"]
    options += ["--ro-bind-try", "/sys", "/sys"]
    for device in sorted(Path("/dev").glob("nvidia*")) + [Path("/dev/dri")]:
        options += ["--dev-bind-try", str(device), str(device)]
    return options


def _read_only(data: Path, linked: list[Path]) -> list[tuple[Path, Path]]:
    """(host path, path in the sandbox) of everything bound read-only but the system: Python, the two
    packages, the data folder, where its symbolic links point, and the data named by variables."""
    pairs = [(root, root) for root in _python_roots()] + [(p, p) for p in PACKAGES] + [(data, Path(DATA_SEEN))]
    pairs += [(target, target) for target in linked]
    for name in ("LECTURE_UTILS_CAPSULE", "LECTURE_UTILS_MNIST"):   # data the lecturer points to by hand
        if os.environ.get(name) and Path(os.environ[name]).expanduser().exists():
            folder = Path(os.environ[name]).expanduser().resolve()
            pairs.append((folder, folder))
    return pairs


def _hiding(pairs: list[tuple[Path, Path]], hidden: list[Path]) -> list[str]:
    """Options that cover each ``hidden`` path (the submissions, the bundle, the grades file) where a
    read-only binding would show it: an empty folder or an empty file in its place."""
    options = []
    for path in (p.resolve() for p in hidden if p.exists()):
        for source, target in pairs:
            if path == source or path.is_relative_to(source):
                shown = str(target / path.relative_to(source))
                options += ["--tmpfs", shown] if path.is_dir() else ["--ro-bind", "/dev/null", shown]
    return options


def _tmpfs(name: str, target) -> list[str]:
    return ["--size", str(TMPFS_BYTES[name]), "--tmpfs", str(target)]


def bwrap_options(space: Workspace, data: Path, env: dict, hidden: list[Path], linked: list[Path]) -> list[str]:
    """bwrap's options for one submission's kernel (see the module's docstring), up to the command."""
    options = [BWRAP, "--unshare-all", "--die-with-parent", "--new-session", "--clearenv",
               "--proc", "/proc", "--dev", "/dev"] + _system_options() + _tmpfs("tmp", "/tmp")
    pairs = _read_only(data, linked)
    for source, target in pairs:
        options += ["--ro-bind", str(source), str(target)]
    options += _tmpfs("home", space.home) + _tmpfs("data", data) + ["--ro-bind", str(space.inputs), str(space.inputs)]
    for folder in (space.ipc, space.out):
        options += ["--bind", str(folder), str(folder)]
    options += _hiding(pairs, hidden) + ["--remount-ro", "/", "--chdir", str(space.home)]
    for name, value in env.items():
        options += ["--setenv", name, value]
    return options + ["--"]


def environment(space: Workspace, data: Path, sandboxed: bool, stub: Path | None) -> dict:
    """The kernel's whole environment: PATH, its home, the two packages (and the google.colab stand-in
    ``stub`` where Colab's is absent), the data folder and the lecture's own switches; nothing else
    of the grader's (no tokens or keys)."""
    env = {name: os.environ[name] for name in KEPT_ENV if name in os.environ}
    python_path = [str(p.parent) for p in PACKAGES] + ([str(stub)] if stub else [])
    env.update(PATH=os.pathsep.join([str(Path(sys.executable).parent), "/usr/local/bin", "/usr/bin", "/bin"]),
               HOME=str(space.home), TMPDIR="/tmp" if sandboxed else str(space.home),
               PYTHONPATH=os.pathsep.join(python_path), LECTURE_UTILS_DATA=str(data))
    return env


def _shown(path: Path, hidden: set[Path]) -> bool:
    return not any(path == h or path.is_relative_to(h) for h in hidden)


def mirror(data: Path, hidden: list[Path]) -> dict:
    """The tree of ``data`` that ``answer_runner.launch`` rebuilds in the sandbox's writable copy:
    its folders, its files (each linked to the read-only original) and its symbolic links with
    their targets (bound read-only at their own paths); ``hidden`` paths, links into them and files
    past :data:`MAX_MIRRORED` are left out."""
    hidden = {p.resolve() for p in hidden}
    folders, files, links = [], [], {}
    for top, dirs, names in os.walk(data):
        here = Path(top)
        for name in dirs + names:
            path = here / name
            if path.is_symlink() and path.exists() and _shown(path.resolve(), hidden):
                links[str(path.relative_to(data))] = str(path.resolve())
        dirs[:] = sorted(d for d in dirs if not (here / d).is_symlink() and _shown((here / d).resolve(), hidden))
        folders += [str((here / d).relative_to(data)) for d in dirs]
        files += [str((here / n).relative_to(data)) for n in sorted(names)
                  if (here / n).is_file() and not (here / n).is_symlink() and _shown((here / n).resolve(), hidden)]
        if len(files) > MAX_MIRRORED:
            break
    return {"seen": DATA_SEEN, "data": str(data), "folders": folders, "files": files[:MAX_MIRRORED], "links": links}


LAUNCH = "from lecture_tools.answer_runner import launch; launch()"


def kernel_command(space: Workspace, limits: Limits, data: Path, hidden: list[Path], sandboxed: bool,
                   stub: Path | None) -> tuple[list[str], dict]:
    """(argv, environment) that start the submission's kernel on ``space/ipc/kernel.json``, in the
    sandbox when ``sandboxed``; the launcher's settings (limits, the data folder's tree) go to
    ``space/in/launch.json``."""
    env = environment(space, data, sandboxed, stub)
    tree = mirror(data, hidden) if sandboxed else None
    (space.inputs / "launch.json").write_text(json.dumps({"limits": asdict(limits), "mirror": tree}), encoding="utf-8")
    python = [sys.executable, "-c", LAUNCH, str(space.inputs / "launch.json"), "-f", str(space.ipc / "kernel.json")]
    if not sandboxed:
        return python, env
    linked = sorted({Path(t) for t in tree["links"].values()})
    return bwrap_options(space, data, env, hidden, linked) + python, {}


COLAB_STUB = '''"""A stand-in for Colab's google.colab where a notebook is graded outside Colab (lecture_tools.sandbox):
`from google.colab import files, drive` works and every call does nothing."""
STAND_IN = True   # config.in_colab() is False under it


class Nothing:
    def __getattr__(self, name):
        if name.startswith("__"):
            raise AttributeError(name)
        return Nothing()

    def __call__(self, *args, **kwargs):
        return Nothing()

    def __iter__(self):
        return iter(())

    def __len__(self):
        return 0


def __getattr__(name):
    if name.startswith("__"):
        raise AttributeError(name)
    return Nothing()
'''
COLAB_MODULES = ("files", "drive", "output", "auth", "userdata", "data_table", "widgets")


def colab_stub(folder: Path) -> Path | None:
    """A ``google.colab`` stand-in under ``folder`` (to put on the kernel's path) where this Python
    has none, so that a submission written in Colab (``from google.colab import files``) runs; None
    where the real one is installed."""
    import importlib.util
    try:
        if importlib.util.find_spec("google.colab") is not None:
            return None
    except ImportError:     # no "google" package at all
        pass
    package = folder / "google" / "colab"
    package.mkdir(parents=True)
    (package / "__init__.py").write_text(COLAB_STUB, encoding="utf-8")
    for name in COLAB_MODULES:
        (package / f"{name}.py").write_text("from google.colab import Nothing, __getattr__  # noqa: F401\n",
                                            encoding="utf-8")
    return folder


class Kernel:
    """A submission's Jupyter kernel, started with :func:`kernel_command` and spoken to over IPC
    sockets in ``space.ipc`` (no TCP port: the sandbox has no network). It is given one cell at a
    time; its output is never read (no IOPub subscription: what it prints costs the grader nothing),
    and a reply larger than :data:`MAX_MESSAGE` bytes is dropped. :meth:`close` kills it with
    everything it started."""
    MAX_MESSAGE = 1 << 22

    def __init__(self, argv: list[str], env: dict, space: Workspace):
        import secrets

        import zmq
        from jupyter_client import BlockingKernelClient
        from jupyter_client.connect import write_connection_file
        connection, _ = write_connection_file(str(space.ipc / "kernel.json"), transport="ipc",
                                              ip=str(space.ipc / "kernel"), key=secrets.token_hex(16).encode())
        # zmq.Context (jupyter_client 8), zmq.asyncio.Context (7, Colab's): what the client's trait takes
        self.context = BlockingKernelClient.class_traits()["context"].klass()
        for option, value in ((zmq.MAXMSGSIZE, self.MAX_MESSAGE), (zmq.RCVHWM, 64), (zmq.LINGER, 0)):
            self.context.setsockopt(option, value)
        self.client = BlockingKernelClient(context=self.context)
        self.client.load_connection_file(connection)
        self.client.start_channels(shell=True, iopub=False, stdin=False, hb=False, control=True)
        self.log = open(space.root / "kernel.log", "wb")
        self.process = subprocess.Popen(argv, env=env or {"PATH": os.environ.get("PATH", "")}, cwd=space.home,
                                        stdin=subprocess.DEVNULL, stdout=self.log, stderr=subprocess.STDOUT,
                                        start_new_session=True)

    def alive(self) -> bool:
        return self.process.poll() is None

    def wait(self, msg_id: str, seconds: float) -> str:
        """The status of the reply to ``msg_id`` ("ok", "error", ...), "timeout" after ``seconds``,
        or "dead" when the kernel ended first."""
        from queue import Empty
        from time import monotonic
        deadline = monotonic() + seconds
        while (left := deadline - monotonic()) > 0:
            try:
                msg = self.client.get_shell_msg(timeout=min(left, 0.5))
            except Empty:
                if not self.alive():
                    return "dead"
                continue
            except Exception:      # a message that is not the kernel's (bad signature, not JSON)
                continue
            if msg.get("parent_header", {}).get("msg_id") == msg_id:
                return str(msg.get("content", {}).get("status", "error"))
        return "timeout"

    def ready(self, seconds: float) -> str:
        """"ok" once the kernel answers, "timeout" or "dead"."""
        return self.wait(self.client.kernel_info(), seconds)

    def execute(self, code: str) -> str:
        """Send one cell; returns its message id (:meth:`wait` for the reply)."""
        return self.client.execute(code, silent=False, store_history=True, allow_stdin=False, stop_on_error=False)

    def interrupt(self) -> None:
        """KeyboardInterrupt in the running cell, as Jupyter's stop button (a message: a signal to
        bwrap would end the sandbox)."""
        self.client.control_channel.send(self.client.session.msg("interrupt_request", {}))

    def tail(self) -> str:
        """The last line the kernel's process printed (why it did not start), at most 200 characters."""
        self.log.flush()
        with open(self.log.name, "rb") as f:
            f.seek(max(0, os.fstat(f.fileno()).st_size - 2000))
            lines = f.read().decode("utf-8", "replace").strip().splitlines()
        return lines[-1][:200] if lines else ""

    def close(self) -> None:
        """Kill the kernel and every process it started (the sandbox's whole process namespace, or
        without one its process group); Ctrl-C waits until it is done."""
        import signal
        blocked = signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT, signal.SIGTERM})
        try:
            try:
                os.killpg(self.process.pid, signal.SIGKILL)
            except (ProcessLookupError, PermissionError):
                pass
            self.process.wait()
            self.client.stop_channels()
            self.context.destroy(linger=0)
            self.log.close()
        finally:
            signal.pthread_sigmask(signal.SIG_SETMASK, blocked)
