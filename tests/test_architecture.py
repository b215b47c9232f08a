"""The "Architecture" section of docs/contributing.md lists every module once and states the package's size truly, and the imports flow one way:
shared modules import no lecture, ``data`` imports neither lecture, the lectures do not import
each other, scoring never imports training, and no private ``_name`` crosses a module boundary."""
import ast
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "lecture_utils"
SHARED = ("config", "messages", "checkpoint", "metrics", "batching", "viz", "widgets", "checks", "outputs", "arguments",
          "grading", "answer_runner", "sandbox")
SCORING = ("vae.projection", "vae.localization", "vae.evaluate", "anogan.score", "anogan.search")
TRAINING = ("vae.train", "anogan.train")


def modules() -> dict:
    """{'vae.train': Path, ...} for every module except __init__ and __main__."""
    return {".".join(p.relative_to(PACKAGE).with_suffix("").parts): p for p in sorted(PACKAGE.rglob("*.py"))
            if p.stem not in ("__init__", "__main__")}


def readme_tree(text: str) -> list[str]:
    """Module paths ('vae/train.py') of the code block in the "## Architecture" section of docs/contributing.md:
    top-level files indented by 2 spaces, folders as 'name/' lines, their files by 4."""
    section = re.search(r"^## Architecture\n(.*?)(?=^## |\Z)", text, re.M | re.S)
    assert section, "docs/contributing.md has no '## Architecture' section"
    block = re.search(r"```\n(.*?)```", section.group(1), re.S)
    assert block, "the Architecture section has no code block"
    listed, folder = [], None
    for line in block.group(1).splitlines():
        m = re.match(r"^( +)(\w+)(\.py|/)(\s|$)", line)
        if not m:
            continue
        indent, name, kind = len(m.group(1)), m.group(2), m.group(3)
        if kind == "/":
            folder = name
        elif indent == 2:
            listed.append(f"{name}.py")
        else:
            listed.append(f"{folder}/{name}.py")
    return listed


def test_readme_tree_parser_reads_folders_and_files():
    text = "## Architecture\n```\nlecture_utils/\n  a.py   x\n  sub/   y\n    b.py z\n```\n## Next\n"
    assert readme_tree(text) == ["a.py", "sub/b.py"]


def test_readme_architecture_lists_every_module_once():
    listed = readme_tree((ROOT / "docs" / "contributing.md").read_text(encoding="utf-8"))
    on_disk = sorted(str(p.relative_to(PACKAGE).as_posix()) for p in modules().values())
    assert sorted(set(listed)) == sorted(listed), f"listed twice: {sorted({x for x in listed if listed.count(x) > 1})}"
    assert sorted(listed) == on_disk, (f"missing from docs/contributing.md: {sorted(set(on_disk) - set(listed))}; "
                                       f"not on disk: {sorted(set(listed) - set(on_disk))}")


ALGORITHMS = ("vae/model.py", "vae/projection.py", "vae/localization.py", "anogan/dcgan.py", "anogan/score.py",
              "anogan/search.py", "metrics.py")


def stated_size(text: str) -> tuple[int, int, int]:
    """(lines, files, algorithm lines) as the Architecture section states them."""
    total = re.search(r"\*\*([\d,]+) lines in (\d+) files\*\*", text)
    algorithms = re.search(r"\*\*algorithms take ([\d,]+) lines\*\*", text)
    assert total and algorithms, "the Architecture section states no size of the package"
    return int(total.group(1).replace(",", "")), int(total.group(2)), int(algorithms.group(1).replace(",", ""))


def size_problems(text: str) -> list[str]:
    """Where the stated size is off: the file count exactly, the line counts by more than 3 %."""
    files = sorted(PACKAGE.rglob("*.py"))
    lines = sum(len(p.read_text(encoding="utf-8").splitlines()) for p in files)
    algorithm_lines = sum(len((PACKAGE / name).read_text(encoding="utf-8").splitlines()) for name in ALGORITHMS)
    stated_lines, stated_files, stated_algorithms = stated_size(text)
    problems = [f"says {stated_files} files, the package has {len(files)}"] if stated_files != len(files) else []
    problems += [f"says {stated} {what}, there are {real}" for stated, real, what in
                 ((stated_lines, lines, "lines"), (stated_algorithms, algorithm_lines, "algorithm lines"))
                 if abs(stated - real) > 0.03 * real]
    return problems + [f"does not name {name}" for name in ALGORITHMS if f"`{name}`" not in text]


def test_the_stated_size_of_the_package_and_of_its_algorithms_holds():
    assert size_problems((ROOT / "docs" / "contributing.md").read_text(encoding="utf-8")) == []


def test_a_wrong_stated_size_is_caught():
    text = (ROOT / "docs" / "contributing.md").read_text(encoding="utf-8")
    total = re.search(r"\*\*([\d,]+) lines in", text).group(1)
    assert any("lines, there are" in p for p in size_problems(text.replace(f"**{total} lines", "**3,999 lines")))
    assert any("files" in p for p in size_problems(re.sub(r"lines in \d+ files", "lines in 7 files", text)))
    assert any("algorithm lines" in p for p in size_problems(re.sub(r"take [\d,]+ lines", "take 9 lines", text)))
    with pytest.raises(AssertionError, match="states no size"):
        stated_size("about six thousand lines")


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
