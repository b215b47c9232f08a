"""Colab first: the declared ranges accept Colab's preinstalled packages, the install cell pins
this version and keeps them, and one repository setting drives badges and install cell. (The
widgets are tested with the real ipywidgets of both CI runs, Colab's and the newest: test_widgets.py.)"""
import importlib.metadata
import importlib.util
import json
import re
import shutil
import subprocess
import sys
from unittest import mock
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.specifiers import SpecifierSet
from packaging.version import Version

import tomllib

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "notebooks"))
import build  # noqa: E402

PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
REQUIREMENTS = {Requirement(d).name.lower(): Requirement(d) for d in PYPROJECT["project"]["dependencies"]}
EXTRAS = {name: [Requirement(d) for d in deps] for name, deps in PYPROJECT["project"]["optional-dependencies"].items()}
NAMES = sorted(p.stem for p in (ROOT / "notebooks" / "src").glob("*.py"))


def colab_snapshot() -> tuple[str, dict[str, Version]]:
    """``(python version, {package: version})`` from tests/colab-constraints.txt."""
    text = (ROOT / "tests" / "colab-constraints.txt").read_text(encoding="utf-8")
    python = re.search(r"^# python (\S+)$", text, re.M).group(1)
    pins = {}
    for line in text.splitlines():
        if line.strip() and not line.startswith("#"):
            name, version = line.split("==")
            pins[name.strip().lower().replace("_", "-")] = Version(version.strip())
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


def test_every_lower_bound_is_the_version_the_colab_run_installs():
    """`make test-colab` installs exactly the pins; so each bound we declare is a version CI runs."""
    _, pins = colab_snapshot()
    declared = list(REQUIREMENTS.values()) + EXTRAS["test"]
    wrong = {str(r): f">={pins.get(r.name.lower())}" for r in declared
             if [(s.operator, Version(s.version)) for s in r.specifier] != [(">=", pins.get(r.name.lower()))]}
    assert not wrong, f"lower bounds must be the pinned versions: {wrong}"
    # what only the newest run installs claims no version it does not test
    newest_only = [r for name, reqs in EXTRAS.items() if name != "test" for r in reqs]
    assert newest_only and all(not r.specifier for r in newest_only), newest_only


def readme_versions() -> dict[str, tuple[str, str]]:
    """The "Tested with" table of docs/contributing.md: {package: (Colab run, newest run)}."""
    page = (ROOT / "docs" / "contributing.md").read_text(encoding="utf-8")
    section = page.split("## Tested with", 1)[1].split("\n## ", 1)[0]
    rows = [[c.strip(" `") for c in line.strip("|").split("|")] for line in section.splitlines()
            if line.startswith("| ") and not line.startswith("| package")]
    return {row[0].lower(): (row[1], row[2]) for row in rows}


def test_readme_tested_with_lists_both_runs_as_the_files_say():
    python, pins = colab_snapshot()
    table = readme_versions()
    assert table.pop("python") == (python, "3.11"), "Tested with: Python of the Colab run / the newest run"
    runtime = {name: pins[name] for name in REQUIREMENTS}
    assert {k: v[0] for k, v in table.items()} == {k: str(v) for k, v in runtime.items()}
    assert {v[1] for v in table.values()} == {"newest"}
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    assert f"versions/{python}*/bin/python{python}" in makefile, "the Makefile's Colab Python is not the pinned one"


def test_build_reads_the_one_repository_setting():
    assert build.REPO == PYPROJECT["tool"]["lecture_utils"]["repository"]
    assert build.REF == "v" + PYPROJECT["project"]["version"]
    assert sorted(build.DEPENDENCIES) == sorted(REQUIREMENTS)


def test_the_installed_package_knows_its_repository_and_tag():
    """The published weights' default location (the release asset of the pinned tag) is built from
    these two, so they must name what the install cell installs."""
    import lecture_utils
    from lecture_utils.anogan import published
    assert lecture_utils.REPOSITORY == build.REPO and "v" + lecture_utils.__version__ == build.REF
    assert published.TAG == build.REF


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


def run_install_cell(monkeypatch, installed: bool, lang: str = "en", pip_exit: int = 0) -> list:
    """Run a notebook's first code cell with pip (subprocess.run, its real signature) answering
    ``pip_exit``; the argument lists pip was called with."""
    _, setup = first_cells(lang, NAMES[0])
    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec",
                        lambda name, *a: (real(name, *a) if installed or name != "lecture_utils" else None))
    pip = mock.create_autospec(subprocess.run, side_effect=lambda args, **kw: subprocess.CompletedProcess(
        args, pip_exit, "", "ERROR: Could not find a version that satisfies the requirement\nTraceback ..."))
    monkeypatch.setattr(subprocess, "run", pip)
    monkeypatch.setenv("LECTURE_UTILS_LANG", lang)   # the cell sets it; restored after the test
    exec(compile("".join(setup["source"]), "install cell", "exec"), {})
    return [c.args[0] for c in pip.call_args_list]


@pytest.mark.parametrize("lang, words", [("en", "Could not install"), ("ja", "インストールできませんでした")])
def test_a_failed_install_says_which_repository_tag_and_why_in_one_line(monkeypatch, capsys, lang, words):
    with pytest.raises(BaseException) as stop:   # BaseException: a SystemExit would be caught, and fail below
        run_install_cell(monkeypatch, installed=False, lang=lang, pip_exit=1)
    repo, version = PYPROJECT["tool"]["lecture_utils"]["repository"], PYPROJECT["project"]["version"]
    [line] = stop.value._render_traceback_()          # what IPython shows instead of a traceback
    assert "\n" not in line and words in line and repo in line and f"v{version}" in line
    assert "pip: Could not find a version that satisfies the requirement" in line       # pip's reason
    assert not isinstance(stop.value, SystemExit)     # IPython prints a banner and a warning for those
    assert "Traceback" not in capsys.readouterr().out + line         # the rest of pip's output is not shown


def test_a_failed_install_in_a_kernel_is_one_line_with_gits_reason(monkeypatch, tmp_path):
    """The install cell run for real in a kernel (pip, git), with github.com sent to a closed port:
    one error line naming git's reason, no SystemExit banner, no warning, nothing else."""
    pytest.importorskip("nbclient")
    from conftest import closed_port_url, needs, run_in_kernel
    needs(shutil.which("git") is not None, "git is not installed (pip clones the repository with it)")
    nowhere = closed_port_url("/")
    for key, value in {"GIT_CONFIG_COUNT": "1", "GIT_CONFIG_KEY_0": f"url.{nowhere}.insteadOf",
                       "GIT_CONFIG_VALUE_0": "https://github.com/", "GIT_TERMINAL_PROMPT": "0"}.items():
        monkeypatch.setenv(key, value)
    _, setup = first_cells("en", NAMES[0])
    not_installed = ("import importlib.util\nfind = importlib.util.find_spec\n"
                     "importlib.util.find_spec = lambda name, *a: None if name == 'lecture_utils' else find(name, *a)")
    _, outputs = run_in_kernel(not_installed, "".join(setup["source"]), path=tmp_path, timeout=300)
    [error] = outputs
    assert error["output_type"] == "error" and len(error["traceback"]) == 1, outputs
    line = error["traceback"][0]
    assert line.startswith("Could not install lecture_utils") and "(pip: unable to access" in line, line
    assert "127.0.0.1" in line and "SystemExit" not in line


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
