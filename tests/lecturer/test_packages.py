"""Two packages, one repository: what a student installs (``lecture-utils``, the root pyproject.toml)
and the lecturer's tools (``lecture-tools``, lecturer/pyproject.toml), which import the student's
package and declare what else they import; the command line is ``python -m lecture_tools``."""
import ast
import subprocess
import sys
import tomllib
from pathlib import Path

from packaging.requirements import Requirement

ROOT = Path(__file__).resolve().parents[2]
STUDENT = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
LECTURER = tomllib.loads((ROOT / "lecturer" / "pyproject.toml").read_text(encoding="utf-8"))
DISTRIBUTION = {"zmq": "pyzmq"}   # an imported module whose distribution has another name


def test_the_lecturers_package_is_this_version_and_needs_this_version_of_the_students():
    assert LECTURER["project"]["version"] == STUDENT["project"]["version"]
    needs = {Requirement(d).name: Requirement(d) for d in LECTURER["project"]["dependencies"]}
    assert str(needs["lecture-utils"].specifier) == f"=={STUDENT['project']['version']}"


def test_the_student_installs_lecture_utils_alone_and_no_command():
    assert STUDENT["project"]["name"] == "lecture-utils" and "scripts" not in STUDENT["project"]
    assert STUDENT["tool"]["setuptools"]["packages"]["find"]["include"] == ["lecture_utils*"]
    assert LECTURER["project"]["scripts"] == {"lecture-tools": "lecture_tools.__main__:run"}   # one line for a Ctrl-C during imports


def third_party_imports(folder: Path) -> set[str]:
    """The top-level modules the package in ``folder`` imports that are neither the standard library
    nor the package itself."""
    names = set()
    for path in folder.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                names |= {a.name.split(".")[0] for a in node.names}
            elif isinstance(node, ast.ImportFrom) and not node.level:
                names.add(node.module.split(".")[0])
    return names - set(sys.stdlib_module_names) - {folder.name, "__future__"}


def test_the_lecturers_package_declares_what_it_imports():
    declared = {Requirement(d).name.lower().replace("_", "-") for d in LECTURER["project"]["dependencies"]}
    students = {Requirement(d).name.lower() for d in STUDENT["project"]["dependencies"]}   # through lecture-utils
    imported = third_party_imports(ROOT / "lecturer" / "lecture_tools")
    assert {"lecture_utils", "nbformat", "jupyter_client", "zmq", "ipykernel", "torch"} <= imported
    wanted = {DISTRIBUTION.get(m, m).lower().replace("_", "-") for m in imported}
    assert wanted - declared - students == set(), "declare these in lecturer/pyproject.toml"


def test_the_command_line_is_lecture_tools_and_lists_every_group():
    out = subprocess.run([sys.executable, "-m", "lecture_tools", "--help"], capture_output=True, text=True)
    assert out.returncode == 0 and out.stdout.startswith("usage: python -m lecture_tools")
    for group in ("data", "vae", "anogan", "homework"):
        assert group in out.stdout


def test_the_students_package_names_the_command_line_in_one_line():
    """`python -m lecture_utils` (the command line's old name): one line naming the new one, exit code 2."""
    out = subprocess.run([sys.executable, "-m", "lecture_utils", "data", "info", "x"], capture_output=True, text=True)
    assert (out.returncode, out.stdout) == (2, "") and len(out.stderr.splitlines()) == 1
    assert out.stderr.startswith("error: ") and "python -m lecture_tools data|vae|anogan|homework" in out.stderr
