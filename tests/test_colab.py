"""Colab first: the declared ranges accept Colab's preinstalled packages, the install cell pins
this version and keeps them, one repository setting drives badges and install cell, and the
widgets use only API that ipywidgets 7.7 (Colab's) and 8 share."""
import importlib.metadata
import importlib.util
import json
import re
import subprocess
import sys
import types
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.specifiers import SpecifierSet
from packaging.version import Version

try:
    import tomllib
except ModuleNotFoundError:        # Python < 3.11
    import tomli as tomllib

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "notebooks"))
import build  # noqa: E402

PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
REQUIREMENTS = {Requirement(d).name.lower(): Requirement(d) for d in PYPROJECT["project"]["dependencies"]}
NAMES = sorted(p.stem for p in (ROOT / "notebooks" / "src").glob("*.py"))


def colab_snapshot() -> tuple[str, dict[str, Version]]:
    """``(python version, {package: version})`` from tests/colab-constraints.txt."""
    text = (ROOT / "tests" / "colab-constraints.txt").read_text(encoding="utf-8")
    python = re.search(r"^# python (\S+)$", text, re.M).group(1)
    pins = {}
    for line in text.splitlines():
        if line.strip() and not line.startswith("#"):
            name, version = line.split("==")
            pins[name.strip().lower()] = Version(version.strip())
    return python, pins


def test_colab_versions_satisfy_the_declared_ranges():
    python, pins = colab_snapshot()
    assert SpecifierSet(PYPROJECT["project"]["requires-python"]).contains(python)
    outside = {name: f"{version} not in {REQUIREMENTS[name].specifier}" for name, version in pins.items()
               if name in REQUIREMENTS and not REQUIREMENTS[name].specifier.contains(version, prereleases=True)}
    assert not outside, f"installing would replace Colab's packages: {outside}"


def test_every_dependency_is_in_the_colab_snapshot():
    _, pins = colab_snapshot()
    missing = sorted(set(REQUIREMENTS) - set(pins))
    assert not missing, f"add Colab's version of {missing} to tests/colab-constraints.txt"


def test_ranges_are_checked_for_real():
    # the check above would catch a range that excludes Colab's ipywidgets 7.7.1
    assert not SpecifierSet(">=8.0").contains(colab_snapshot()[1]["ipywidgets"])


def test_build_reads_the_one_repository_setting():
    assert build.REPO == PYPROJECT["tool"]["lecture_utils"]["repository"]
    assert build.REF == "v" + PYPROJECT["project"]["version"]
    assert sorted(build.DEPENDENCIES) == sorted(REQUIREMENTS)


def first_cells(lang, name):
    nb = json.loads((ROOT / "notebooks" / lang / f"{name}.ipynb").read_text(encoding="utf-8"))
    return nb["cells"][0], nb["cells"][1]


@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize("lang", build.LANGS)
def test_badge_gpu_hint_and_pinned_install_cell(lang, name):
    badge, setup = first_cells(lang, name)
    repo, version = PYPROJECT["tool"]["lecture_utils"]["repository"], PYPROJECT["project"]["version"]
    text = "".join(badge["source"])
    assert f"colab.research.google.com/github/{repo}/blob/v{version}/notebooks/{lang}/{name}.ipynb" in text
    assert "GPU" in text
    code = "".join(setup["source"])
    assert f"git+https://github.com/{repo}@v{version}" in code
    assert code.count("git+https://") == 1


def test_readme_badges_match_the_build():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    links = set(re.findall(r"\(https://colab\.research\.google\.com/github/[^)]+\)", readme))
    expected = {f"({build.BADGE_URL.format(repo=build.REPO, ref=build.REF, lang=lang, name=name)})"
                for lang in build.LANGS for name in NAMES}
    assert links == expected, "README's Colab badges differ from notebooks/build.py's (repository or tag)"


def run_install_cell(monkeypatch, installed: bool) -> list:
    _, setup = first_cells("en", NAMES[0])
    calls, real = [], importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec",
                        lambda name, *a: (real(name, *a) if installed or name != "lecture_utils" else None))
    monkeypatch.setattr(subprocess, "check_call", lambda args, **kw: calls.append(args))
    exec(compile("".join(setup["source"]), "install cell", "exec"), {})
    return calls


def test_install_cell_keeps_the_installed_packages(monkeypatch):
    [args] = run_install_cell(monkeypatch, installed=False)
    repo, version = PYPROJECT["tool"]["lecture_utils"]["repository"], PYPROJECT["project"]["version"]
    assert args[:4] == [sys.executable, "-m", "pip", "install"]
    assert args[-1] == f"git+https://github.com/{repo}@v{version}" and "-U" not in args
    constraints = Path(args[args.index("-c") + 1]).read_text().splitlines()
    for name in ("torch", "numpy", "ipywidgets", "scikit-image", "pillow"):
        assert f"{name}=={importlib.metadata.version(name)}" in constraints, name


def test_install_cell_does_nothing_where_the_package_is_installed(monkeypatch):
    assert run_install_cell(monkeypatch, installed=True) == []


# What lecture_utils/widgets.py may use: present, with these keywords, in ipywidgets 7.7.1 (Colab)
# and 8.x (the explorer was built and redrawn with each version).
COMMON_WIDGETS = {
    "IntSlider": {"min", "max", "step", "value", "description", "continuous_update"},
    "FloatSlider": {"min", "max", "step", "value", "description", "continuous_update"},
    "Dropdown": {"options", "value", "description"},
}


def common_ipywidgets() -> types.ModuleType:
    """An ipywidgets that has only the API shared by 7.7.1 and 8: anything else fails."""
    module = types.ModuleType("ipywidgets")
    for name, allowed in COMMON_WIDGETS.items():
        def init(self, _allowed=allowed, _name=name, **kw):
            unknown = set(kw) - _allowed
            if unknown:
                raise TypeError(f"{_name}{sorted(unknown)} is not checked against ipywidgets 7.7.1")
            self.__dict__.update(kw)
        setattr(module, name, type(name, (), {"__init__": init}))
    module.interactive = lambda f, **controls: (f, controls)
    return module


def test_widgets_use_only_api_of_ipywidgets_7_and_8(monkeypatch):
    import matplotlib.pyplot as plt
    from lecture_utils import widgets
    monkeypatch.setitem(sys.modules, "ipywidgets", common_ipywidgets())
    monkeypatch.setattr("IPython.display.display", lambda *a: None)
    f, controls = widgets.explorer(lambda a, b, kind: plt.figure(), a=(1, 10, 1, 3), b=(0.0, 1.0, 0.1, 0.5),
                                   kind=["x", "y"])
    assert [type(c).__name__ for c in controls.values()] == ["IntSlider", "FloatSlider", "Dropdown"]
    plt.close("all")


def test_the_common_api_refuses_anything_unchecked():
    with pytest.raises(TypeError, match="not checked"):
        common_ipywidgets().Dropdown(options=[1], value=1, description="x", style={"description_width": "0"})
    assert not hasattr(common_ipywidgets(), "TagsInput")


def test_explorer_builds_its_widgets(monkeypatch):
    pytest.importorskip("ipywidgets")
    import matplotlib.pyplot as plt
    from lecture_utils import widgets
    monkeypatch.setattr("IPython.display.display", lambda *a: None)
    calls = []
    ui = widgets.explorer(lambda a, b, kind: calls.append((a, b, kind)) or plt.figure(),
                          a=(1, 10, 1, 3), b=(0.0, 1.0, 0.1, 0.5), kind=["x", "y"])
    sliders = ui.children[:3]
    assert [type(s).__name__ for s in sliders] == ["IntSlider", "FloatSlider", "Dropdown"]
    assert calls[0] == (3, 0.5, "x") and not sliders[0].continuous_update
    sliders[0].value = 5
    ui.update()
    assert calls[-1] == (5, 0.5, "x")
    plt.close("all")
