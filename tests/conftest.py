"""Unit tests never touch the real cache in data/ and never see the developer's data overrides."""
import pytest

from lecture_utils import config


@pytest.fixture(autouse=True)
def isolated_data_dir(tmp_path_factory, monkeypatch):
    monkeypatch.setenv(config.DATA_ENV, str(tmp_path_factory.getbasetemp() / "lecture_utils_data"))
    for name in ("LECTURE_UTILS_CAPSULE", "LECTURE_UTILS_MNIST"):
        monkeypatch.delenv(name, raising=False)
