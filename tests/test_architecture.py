"""The architecture (docs/contributing.md "Architecture"):

- the import contracts of pyproject.toml ([tool.importlinter]) hold: the student's package
  ``lecture_utils`` never imports the lecturer's ``lecture_tools``, shared modules import no lecture,
  ``data`` imports neither lecture, the lectures do not import each other, scoring never imports
  training (``lint-imports``);
- what import-linter cannot see: no ``importlib.import_module``/``__import__`` of ``lecture_tools`` in
  the student's package, and no private ``_name`` crossing a module boundary (within ``lecture_utils``,
  or from it into ``lecture_tools``);
- the student package's functions are small: ruff's limits of pyproject.toml [tool.ruff.lint]
  (complexity, branches, statements) and at most 40 lines of body (docstring aside).

(That docs/contributing.md lists every module and states the package's size truly is a rule of
tools/lint.py.)"""
import ast
import shutil
import subprocess
import sys
from pathlib import Path

from conftest import needs

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "lecture_utils"
TOOLS = ROOT / "lecturer" / "lecture_tools"
MAX_LINES = 40


def tool(name: str) -> str:
    """The command ``name`` of this environment (installed by the [dev] extra)."""
    found = shutil.which(name, path=str(Path(sys.executable).parent)) or shutil.which(name)
    needs(found is not None, f"{name} is not installed (pip install -e '.[dev]')")
    return found


def test_the_import_contracts_hold():
    run = subprocess.run([tool("lint-imports"), "--no-cache"], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert run.returncode == 0 and " 0 broken" in run.stdout, run.stdout + run.stderr
    assert run.stdout.count(" KEPT") >= 5, run.stdout


def test_the_student_packages_functions_are_small():
    run = subprocess.run([tool("ruff"), "check", "--no-cache", "lecture_utils"], cwd=ROOT, capture_output=True,
                         text=True, timeout=120)
    assert run.returncode == 0, run.stdout + run.stderr
    long = [f"{p.relative_to(ROOT)}:{f.lineno} {f.name} ({n} lines)" for p, f, n in function_lengths(PACKAGE)
            if n > MAX_LINES]
    assert not long, long


def function_lengths(package: Path):
    """(path, function node, lines of its body without the docstring) for every function of ``package``."""
    for path in sorted(package.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                first = node.body[1] if len(node.body) > 1 and isinstance(node.body[0], ast.Expr) \
                    and isinstance(getattr(node.body[0], "value", None), ast.Constant) else node.body[0]
                yield path, node, node.end_lineno - first.lineno + 1


def imported(path: Path, top: Path) -> list[tuple[str, str | None, int]]:
    """(module, name or None, line) for every import in ``path`` (a module of the package ``top``),
    inside functions too, with ``importlib.import_module`` / ``__import__`` of a literal name;
    relative imports resolved within the package of ``path``."""
    package = path.relative_to(top.parent).parts[:-1]
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found += [(a.name, None, node.lineno) for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = list(package[:len(package) - node.level + 1]) if node.level else []
            module = ".".join(base + ([node.module] if node.module else []))
            found += [(module, a.name, node.lineno) for a in node.names]
        elif isinstance(node, ast.Call) and getattr(node.func, "attr", getattr(node.func, "id", "")) in (
                "import_module", "__import__"):
            found += [(a.value, None, node.lineno) for a in node.args[:1] if isinstance(a, ast.Constant)]
    return found


def private(name) -> bool:
    return bool(name) and name.startswith("_") and not name.startswith("__")


def test_no_dynamic_import_of_the_lecturers_package_and_no_private_name_crosses_a_module():
    student = {p: imported(p, PACKAGE) for p in sorted(PACKAGE.rglob("*.py"))}
    lecturer = {p: imported(p, TOOLS) for p in sorted(TOOLS.rglob("*.py"))}
    # the parser sees the real imports, or the checks below would pass on anything
    assert ("lecture_utils.checkpoint", "Checkpointer", ) in {m[:2] for m in student[PACKAGE / "vae" / "train.py"]}
    assert any(m.startswith("lecture_utils") for f in lecturer.values() for m, _, _ in f)
    tools = [f"{p.relative_to(ROOT)}:{line} imports {m}" for p, found in student.items() for m, _, line in found
             if m == "lecture_tools" or m.startswith("lecture_tools.")]
    assert not tools, f"the student's package imports the lecturer's: {tools}"
    crossing = [f"{p.relative_to(ROOT)}:{line} imports {m}.{name}" for p, found in {**student, **lecturer}.items()
                for m, name, line in found if m.startswith("lecture_utils") and private(name)]
    crossing += [f"{p.relative_to(ROOT)}:{node.lineno} uses {node.value.id}.{node.attr}"   # `from . import score`, `score._x`
                 for p, found in student.items() for node in ast.walk(ast.parse(p.read_text(encoding="utf-8")))
                 if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and private(node.attr)
                 and node.value.id in {name or m.rsplit(".", 1)[-1] for m, name, _ in found if m.startswith("lecture_utils")}]
    assert not crossing, crossing
