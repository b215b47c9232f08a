"""Shared test helpers; unit tests never touch the real cache in data/ and never see the developer's data overrides.

Every test process, and every kernel or subprocess it starts (they inherit the environment), computes
on one CPU thread: parallel workers (pytest-xdist) then share the cores instead of fighting over them.
"""
import os

for _var in ("OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import importlib.util  # noqa: E402
import io  # noqa: E402
import sys  # noqa: E402
import zipfile  # noqa: E402
from pathlib import Path

import pytest  # noqa: E402

from lecture_utils import config  # noqa: E402

STRICT = config.switch("STRICT")   # set by .ci/run: a prerequisite that is missing fails instead of skipping
# The data folder the test run was given (make test: the newest tier's, with the weights its notebooks
# trained); every test gets a new empty one (isolated_data_dir) unless it asks for this one.
GIVEN_DATA = os.environ.get(config.DATA_ENV)


def needs(ok: bool, what: str) -> None:
    """Skip the test when ``ok`` is false (one line naming ``what`` is missing and how to install it),
    or fail it under ``STRICT=1`` (CI), where every tier must run."""
    if not ok:
        (pytest.fail if STRICT else pytest.skip)(what)


def sandboxed() -> None:
    """Skip (fail under STRICT=1) where bubblewrap cannot make the grader's sandbox, saying why."""
    from lecture_tools import sandbox   # the lecturer's package: imported only by its tests
    why = sandbox.missing()
    needs(why is None, why or "")


@pytest.fixture(autouse=True)
def isolated_data_dir(tmp_path_factory, monkeypatch):
    monkeypatch.setenv(config.DATA_ENV, str(tmp_path_factory.getbasetemp() / "lecture_utils_data"))
    for name in ("LECTURE_UTILS_CAPSULE", "LECTURE_UTILS_MNIST"):
        monkeypatch.delenv(name, raising=False)


@pytest.fixture
def interrupt_at():
    """``interrupt_at(n, real)``: a stand-in for ``real`` whose n-th call raises KeyboardInterrupt (Ctrl-C)."""
    def make(n, real):
        calls = []

        def stand_in(*args, **kwargs):
            calls.append(1)
            if len(calls) == n:
                raise KeyboardInterrupt
            return real(*args, **kwargs)
        return stand_in
    return make


class LocalServer:
    """An HTTP server on 127.0.0.1 in a thread: ``files`` maps a path to the bytes it serves;
    ``/silent/...`` accepts and does not answer (for 10 s), ``/stall/...`` sends headers and half the body of
    ``files['/big.bin']`` and then nothing; ``hits`` lists the paths asked for."""

    def __init__(self):
        import http.server
        import threading
        server = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self):
                server.hits.append(self.path)
                if self.path.startswith("/silent/"):
                    server.release.wait(10)   # then gives up, so a client without a timeout fails a test instead of hanging it
                    return
                body = server.files.get("/big.bin" if self.path.startswith("/stall/") else self.path)
                if body is None:
                    self.send_error(404)
                    return
                self.send_response(200)
                self.send_header("Content-Length", str(len(body)))
                self.send_header("Content-Type", "text/html" if body.lstrip()[:1] == b"<" else "application/octet-stream")
                self.end_headers()
                if self.path.startswith("/stall/"):
                    self.wfile.write(body[:len(body) // 2])
                    self.wfile.flush()
                    server.release.wait(10)   # then gives up, so a client without a timeout fails a test instead of hanging it
                    return
                self.wfile.write(body)

            def log_message(self, *args):
                pass

        self.files, self.hits, self.release = {}, [], threading.Event()
        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.thread = threading.Thread(target=self.httpd.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True)
        self.thread.start()

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.httpd.server_address[1]}{path}"

    def close(self):
        self.release.set()
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def server():
    """A `LocalServer`: real downloads (gdown, torchvision, urllib) against 127.0.0.1."""
    local = LocalServer()
    yield local
    local.close()


def closed_port_url(path: str = "/x") -> str:
    """A URL on 127.0.0.1 where nothing listens (connection refused: what 'no network' looks like)."""
    import socket
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    return f"http://127.0.0.1:{port}{path}"


def zip_bytes(files: dict) -> bytes:
    """A zip archive in memory holding ``files`` ({member name: bytes or str})."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        for name, data in files.items():
            z.writestr(name, data)
    return buf.getvalue()


def script(path: Path):
    """The script at ``path`` imported as a module named after it (registered in ``sys.modules``, which
    a dataclass in it needs), for scripts outside any package (benchmarks/, tools/)."""
    spec = importlib.util.spec_from_file_location(path.stem, path)
    module = sys.modules[path.stem] = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def benchmark_script(name: str):
    """``benchmarks/NAME.py`` imported as a module (benchmarks/ is no package)."""
    return script(Path(__file__).resolve().parents[1] / "benchmarks" / f"{name}.py")


def run_in_kernel(*cells: str, path=None, timeout: int = 120) -> list[list[dict]]:
    """Execute ``cells`` in a real Jupyter kernel (nbclient, errors kept as outputs), in ``path`` (a
    folder) if given; each cell's outputs as the saved notebook keeps them."""
    import nbformat
    from nbclient import NotebookClient
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(c) for c in cells], metadata={
        "kernelspec": {"name": "python3", "language": "python", "display_name": "Python 3"}})
    resources = {"metadata": {"path": str(path)}} if path is not None else {}
    NotebookClient(nb, timeout=timeout, kernel_name="python3", allow_errors=True, resources=resources).execute()
    return [cell.outputs for cell in nb.cells]
