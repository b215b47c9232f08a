"""Shared test helpers; unit tests never touch the real cache in data/ and never see the developer's data overrides."""
from pathlib import Path

import pytest

from lecture_utils import config


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


def deliver(payload, output):
    """What a faked download (gdown's) does with ``payload``: raise it if it is an exception, call it
    on the output path if it is a function, else write its bytes there; returns ``output``."""
    if isinstance(payload, Exception):
        raise payload
    if callable(payload):
        payload(Path(output))
    else:
        Path(output).write_bytes(payload)
    return output
