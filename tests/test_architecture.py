"""The imports flow one way: the student's package ``lecture_utils`` never imports the lecturer's
``lecture_tools`` (which imports it), shared modules import no lecture, ``data`` imports neither
lecture, the lectures do not import each other, scoring never imports training, and no private
``_name`` crosses a module boundary, nor from ``lecture_utils`` into ``lecture_tools``. (That
docs/contributing.md's "Architecture" lists every module and states the package's size truly is a
rule of tools/lint.py.)"""
import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "lecture_utils"
TOOLS = ROOT / "lecturer" / "lecture_tools"
SHARED = ("config", "messages", "messages_results", "checkpoint", "metrics", "batching", "viz", "widgets", "checks",
          "hidden", "outputs", "progress", "errors")
SCORING = ("vae.projection", "vae.localization", "vae.evaluate", "anogan.score", "anogan.search")
TRAINING = ("vae.train", "anogan.train")


def modules() -> dict:
    """{'vae.train': Path, ...} for every module except __init__ and __main__."""
    return {".".join(p.relative_to(PACKAGE).with_suffix("").parts): p for p in sorted(PACKAGE.rglob("*.py"))
            if p.stem not in ("__init__", "__main__")}


def imports(name: str, path: Path) -> list[tuple[str, str | None, int]]:
    """(imported module relative to lecture_utils, imported name or None, line) for every import of
    the package in the module ``name`` (also imports inside functions)."""
    package = name.split(".")[:-1]
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found += [(a.name[len("lecture_utils."):], None, node.lineno) for a in node.names
                      if a.name.startswith("lecture_utils.")]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package[:len(package) - node.level + 1]
                module = ".".join(base + ([node.module] if node.module else []))
            elif (node.module or "").startswith("lecture_utils"):
                module = node.module[len("lecture_utils."):] if node.module != "lecture_utils" else ""
            else:
                continue
            for a in node.names:
                sub = f"{module}.{a.name}".strip(".")
                if sub in modules() or sub in ("data", "vae", "anogan"):  # `from . import score`
                    found.append((sub, None, node.lineno))
                else:
                    found.append((module, a.name, node.lineno))
    return found


def all_imports():
    return [(name, target, imported, line) for name, path in modules().items()
            for target, imported, line in imports(name, path)]


def within(target: str, *prefixes: str) -> bool:
    return any(target == p or target.startswith(p + ".") for p in prefixes)


@pytest.mark.parametrize("rule, bad", [
    ("shared modules import no lecture subpackage",
     lambda n, t: n in SHARED and within(t, "data", "vae", "anogan")),
    ("data imports neither lecture", lambda n, t: within(n, "data") and within(t, "vae", "anogan")),
    ("vae does not import anogan", lambda n, t: within(n, "vae") and within(t, "anogan")),
    ("anogan does not import vae", lambda n, t: within(n, "anogan") and within(t, "vae")),
    ("scoring never imports training", lambda n, t: n in SCORING and within(t, *TRAINING)),
])
def test_imports_flow_one_way(rule, bad):
    broken = [f"{n}:{line} imports {t}" for n, t, _, line in all_imports() if bad(n, t)]
    assert not broken, f"{rule}: {broken}"


def test_no_private_name_crosses_a_module_boundary():
    broken = [f"{n}:{line} imports {t}.{name}" for n, t, name, line in all_imports()
              if name and name.startswith("_") and not name.startswith("__")]
    for name, path in modules().items():  # `from . import score` then `score._helper`
        bound = {(a.asname or a.name) for node in ast.walk(ast.parse(path.read_text(encoding="utf-8")))
                 if isinstance(node, ast.ImportFrom) and (node.level or (node.module or "").startswith("lecture_utils"))
                 for a in node.names}
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if (isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and node.value.id in bound
                    and node.attr.startswith("_") and not node.attr.startswith("__")):
                broken.append(f"{name}:{node.lineno} uses {node.value.id}.{node.attr}")
    assert not broken, broken


def test_the_rules_see_a_violation(tmp_path, monkeypatch):
    """The checks above can fail: a shared module importing a lecture and a private import are found."""
    (tmp_path / "viz.py").write_text("from .vae.train import _state\nfrom . import anogan\n")
    found = imports("viz", tmp_path / "viz.py")
    assert ("vae.train", "_state", 1) in found and ("anogan", None, 2) in found


def imported_names(node) -> list[str]:
    """The modules an AST node imports: import statements, and ``importlib.import_module`` /
    ``__import__`` of a literal name (relative imports stay inside their package)."""
    if isinstance(node, ast.Import):
        return [a.name for a in node.names]
    if isinstance(node, ast.ImportFrom):
        return [] if node.level else [node.module or ""]
    if isinstance(node, ast.Call) and getattr(node.func, "attr", getattr(node.func, "id", "")) in ("import_module",
                                                                                                  "__import__"):
        return [a.value for a in node.args[:1] if isinstance(a, ast.Constant) and isinstance(a.value, str)]
    return []


def imports_of_tools(path: Path) -> list[tuple[str, int]]:
    """(module, line) of every import of ``lecture_tools`` in ``path`` (also inside functions)."""
    found = [(name, node.lineno) for node in ast.walk(ast.parse(path.read_text(encoding="utf-8")))
             for name in imported_names(node) if name == "lecture_tools" or name.startswith("lecture_tools.")]
    return sorted(found, key=lambda found: found[1])


def test_the_students_package_never_imports_the_lecturers():
    """What a student installs works without lecture_tools (Colab has only lecture_utils)."""
    broken = [f"{p.relative_to(ROOT)}:{line} imports {name}" for p in sorted(PACKAGE.rglob("*.py"))
              for name, line in imports_of_tools(p)]
    assert not broken, broken


def test_the_lecturers_package_uses_only_public_names_of_the_students():
    broken = []
    for path in sorted(TOOLS.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("lecture_utils"):
                broken += [f"{path.name}:{node.lineno} imports {node.module}.{a.name}" for a in node.names
                           if a.name.startswith("_") and not a.name.startswith("__")]
    assert len(list(TOOLS.glob("*.py"))) >= 10 and not broken, broken


def test_the_tools_rules_see_a_violation(tmp_path):
    (tmp_path / "viz.py").write_text("import lecture_tools.grading\ndef f():\n    from lecture_tools import cli\n"
                                     "__import__('lecture_tools.sandbox')\nimportlib.import_module('lecture_tools')\n"
                                     "import lecture_utils\n")
    assert [line for _, line in imports_of_tools(tmp_path / "viz.py")] == [1, 3, 4, 5]
