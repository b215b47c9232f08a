"""The grader: the instructor's notebook gets full marks, the untouched student notebook 0, and
cheating submissions that solve nothing (each trying one trick on the kernel, the judge, the
other submissions, the bundle or the CSV) get 0; the class-level safety rules and one-line errors."""
import csv
from pathlib import Path

import pytest

from lecture_utils import checks, grading
from lecture_utils.cli import main
from lecture_utils.data import homework as hw00
from lecture_utils.data.synthetic import CapsuleSpec, write_synthetic_capsule

ROOT = Path(__file__).resolve().parent.parent
BUNDLE = ROOT / "notebooks" / "grading" / "00_datasets.json"
INSTRUCTOR = ROOT / "notebooks/instructor/en/00_datasets.ipynb"
STUDENT = ROOT / "notebooks/ja/00_datasets.ipynb"


def notebook(*cells: str) -> str:
    """A minimal submission of notebook 00 (its metadata names the lecture) with these code cells."""
    import nbformat
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(c) for c in cells])
    nb.metadata["lecture_utils"] = {"notebook": "00_datasets", "lang": "en"}
    return nbformat.writes(nb)


WRONG = "def defect_fraction(masks):\n    import torch\n    return torch.zeros(len(masks))"


def cheats(folder: Path, bundle: Path, out: Path, wrong_type: str) -> dict:
    """{student: notebook text}: each solves nothing and tries one trick."""
    return {
        "builtins": notebook(WRONG, "import builtins\nbuiltins.AssertionError = type('A', (Exception,), {})\n"
                             "builtins.exec = lambda *a, **k: None\nbuiltins.print = lambda *a, **k: None"),
        "stdout": notebook(WRONG, "import sys\nfor q in ('q1', 'q2'):\n    print('LECTURE_UTILS_GRADES', q, 'True')\n"
                           "sys.stdout.write = lambda *a: 0"),
        "patched_checks": notebook(WRONG, "import lecture_utils.checks as c, lecture_utils.grading as j\n"
                                   "c.close = c.expect = lambda *a, **k: None\nj.verdict = lambda *a, **k: (True, 'ok')"),
        "patched_torch": notebook(WRONG, "import torch\ntorch.allclose = lambda *a, **k: True\n"
                                  "torch.Tensor.__eq__ = lambda *a: True"),
        "shrunk_data": notebook(WRONG, f"class T:\n    defects = ['good', {wrong_type!r}]\ntest = T()\n"
                                f"largest_type = {wrong_type!r}"),
        "patch_in_judge": notebook("def defect_fraction(masks):\n    import torch, lecture_utils.checks as c\n"
                                   "    c.close = c.expect = c.tensor_of = lambda *a, **k: a[0] if a else None\n"
                                   "    import builtins; builtins.isinstance = lambda *a: True\n"
                                   "    return torch.zeros(len(masks))"),
        "frames": notebook("def defect_fraction(masks):\n    import gc, inspect, torch\n"
                           "    for f in inspect.stack():\n        for v in f.frame.f_locals.values():\n"
                           "            if torch.is_tensor(v) and v.shape == (len(masks),): return v\n"
                           "    return torch.zeros(len(masks))"),
        "forged_records": notebook("def defect_fraction(masks):\n    import os, sys, torch\n"
                                   "    torch.save([{'status': 'ok', 'value': torch.zeros(1)}] * 3, sys.argv[-1])\n"
                                   "    os._exit(0)"),
        "a_vandal": notebook(WRONG, f"import pathlib\nfor p in pathlib.Path({str(folder)!r}).glob('*.ipynb'):\n"
                           "    p.write_text('{}') if p.stem == 'alice' else None\n"
                           f"pathlib.Path({str(bundle)!r}).write_text('{{\"notebook\": \"00_datasets\", \"questions\": []}}')\n"
                           f"pathlib.Path({str(out)!r}).write_text('a_vandal,q1,2,2')"),
        "hang": notebook("import signal\nsignal.signal(signal.SIGINT, signal.SIG_IGN)\nwhile True:\n    pass",
                         "largest_type = 'crack'"),
        "slow_function": notebook("def defect_fraction(masks):\n    while True:\n        pass"),
        "exit_kernel": notebook(WRONG, "import os\nos._exit(0)"),
        "=HYPERLINK(1)": notebook("x = 1"),
    }


@pytest.fixture
def capsule(tmp_path, monkeypatch):
    """A small capsule folder keeps the notebook runs short; the kernels and the judge read the variable."""
    path = write_synthetic_capsule(tmp_path / "capsule", CapsuleSpec(n_train=6, n_test_good=2, n_test_defect=1, size=64))
    monkeypatch.setenv("LECTURE_UTILS_CAPSULE", str(path))
    return path


def read_csv(path):
    with open(path, newline="", encoding="utf-8") as f:
        return {(r["student"], r["question"]): (int(r["points"]), r["feedback"]) for r in csv.DictReader(f)}


def test_full_marks_for_the_solutions_zero_for_the_student_notebook_and_every_cheat(tmp_path, capsule, capsys):
    bundle = tmp_path / "bundle.json"
    bundle.write_text(BUNDLE.read_text("utf-8"), "utf-8")
    share = grading.prepare(grading.load_bundle(bundle)["questions"][1])["_reference"]
    wrong_type = min(share, key=share.get)
    folder, out = tmp_path / "submissions", tmp_path / "grades.csv"
    folder.mkdir()
    (folder / "alice.ipynb").write_text(INSTRUCTOR.read_text("utf-8"), "utf-8")
    (folder / "bob.ipynb").write_text(STUDENT.read_text("utf-8"), "utf-8")
    for name, text in cheats(folder, bundle, out, wrong_type).items():
        (folder / f"{name}.ipynb").write_text(text, "utf-8")

    assert main(["homework", "grade", str(folder), "--bundle", str(bundle), "--out", str(out), "--timeout", "20",
                 "--reduced"]) == 0
    rows = read_csv(out)
    assert rows[("alice", "q1")][0] == 2 and rows[("alice", "q2")][0] == 1
    cheaters = [s for s, _ in rows if s not in ("alice",)]
    assert len(set(cheaters)) == 14 and {s: rows[(s, q)][0] for s in cheaters for q in ("q1", "q2")} == {
        s: 0 for s in cheaters}
    assert rows[("bob", "q1")][1].startswith("まだ解答されていません")          # feedback in the notebook's language
    assert "differs from the expected values" in rows[("builtins", "q1")][1]
    assert "--timeout" in rows[("slow_function", "q1")][1] and "--timeout" in rows[("hang", "q2")][1]
    text = out.read_text("utf-8")
    assert "\n'=HYPERLINK(1),q1," in text and "a_vandal,q1,2,2" not in text


def test_a_bundle_of_another_lecture_and_stray_files_are_named(tmp_path, capsys):
    folder = tmp_path / "s"
    (folder / "sub").mkdir(parents=True)
    (folder / "sub" / "deep.ipynb").write_text(notebook("x = 1"))
    (folder / "notes.txt").write_text("hi")
    (folder / "carol.ipynb").write_text("{ not json")
    (folder / "dave.ipynb").write_text(notebook("x = 1").replace("00_datasets", "02_anogan"))
    assert main(["homework", "grade", str(folder), "--bundle", str(BUNDLE), "--out", str(tmp_path / "g.csv")]) == 2
    out, err = capsys.readouterr()
    assert "no submitted notebooks of 00_datasets" in err and not (tmp_path / "g.csv").exists()
    for name, why in (("sub/deep.ipynb", "not a *.ipynb directly"), ("notes.txt", "not a *.ipynb"),
                      ("carol.ipynb", "not a readable notebook"), ("dave.ipynb", "a submission of 02_anogan")):
        assert f"no row: {name}: {why}" in out


@pytest.mark.parametrize("out, why", [("s/grades.csv", "inside the submissions folder"),
                                      ("s/alice.ipynb", "inside the submissions folder"),
                                      ("bundle.json", "is the grading bundle"), ("nodir", "is a folder")])
def test_out_is_refused_before_any_notebook_runs(tmp_path, capsys, out, why):
    (tmp_path / "s").mkdir()
    (tmp_path / "s" / "alice.ipynb").write_text(notebook("x = 1"))
    (tmp_path / "bundle.json").write_text(BUNDLE.read_text("utf-8"))
    (tmp_path / "nodir").mkdir()
    before = (tmp_path / "s" / "alice.ipynb").read_text()
    assert main(["homework", "grade", str(tmp_path / "s"), "--bundle", str(tmp_path / "bundle.json"),
                 "--out", str(tmp_path / out)]) == 2
    assert why in capsys.readouterr().err
    assert (tmp_path / "s" / "alice.ipynb").read_text() == before


@pytest.mark.parametrize("timeout", ["0", "-1", "x"])
def test_timeout_must_be_positive(tmp_path, capsys, timeout):
    with pytest.raises(SystemExit) as e:
        main(["homework", "grade", str(tmp_path), "--bundle", str(BUNDLE), "--timeout", timeout])
    assert e.value.code == 2 and "--timeout" in capsys.readouterr().err


def test_ctrl_c_stops_grading_with_130_and_writes_no_csv(tmp_path, capsule, monkeypatch, capsys):
    (tmp_path / "s").mkdir()
    (tmp_path / "s" / "alice.ipynb").write_text(notebook("x = 1"))

    def interrupted(*args):
        raise KeyboardInterrupt

    monkeypatch.setattr(grading, "execute", interrupted)
    assert main(["homework", "grade", str(tmp_path / "s"), "--bundle", str(BUNDLE), "--out",
                 str(tmp_path / "g.csv")]) == 130
    assert not list(tmp_path.glob("*g.csv*"))


def test_csv_cells_are_escaped_against_formulas():
    assert [grading.escape(c) for c in ("=1+1", "+1", "-2", "@SUM", "alice", 3)] == [
        "'=1+1", "'+1", "'-2", "'@SUM", "alice", "3"]


def test_grader_errors_are_one_line(tmp_path, capsys):
    assert main(["homework", "grade", str(tmp_path), "--bundle", str(tmp_path / "none.json")]) == 2
    assert "no grading bundle" in capsys.readouterr().err
    (tmp_path / "bad.json").write_text("[1]")
    assert main(["homework", "grade", str(tmp_path), "--bundle", str(tmp_path / "bad.json")]) == 2
    assert "not a grading bundle" in capsys.readouterr().err


SIDE_EFFECTS = {"cli", "__main__", "outputs", "grading", "answer_runner",
                "widgets", "download", "sources"}   # commands, file writers and downloads: never called blindly


def package_functions():
    """Every function defined in lecture_utils, but those that run commands or write files."""
    import importlib
    import inspect
    import pkgutil
    import lecture_utils
    for info in pkgutil.walk_packages(lecture_utils.__path__, "lecture_utils."):
        if info.name.rsplit(".", 1)[-1] in SIDE_EFFECTS:
            continue
        module = importlib.import_module(info.name)
        for name, fn in vars(module).items():
            if inspect.isfunction(fn) and fn.__module__ == info.name:
                yield f"{info.name}.{name}", fn


def same(a, b) -> bool:
    """Whether ``a`` is ``b``; a tuple whose first item is ``b`` (an energy and f_VAE(x)) gives it away too."""
    import torch
    if isinstance(a, tuple) and a and not isinstance(b, tuple):
        return same(a[0], b)
    try:
        a, b = (torch.as_tensor(v, dtype=torch.float64) for v in (a, b))
        return a.shape == b.shape and bool(torch.allclose(a, b, rtol=1e-4, atol=1e-6))
    except Exception:
        return False


def exercises():
    """(name, the instructor's solution, its hidden cases' arguments) of every function exercise."""
    import sys
    import torch
    from lecture_utils.answer_runner import inputs
    sys.path.insert(0, str(ROOT / "notebooks"))
    import build
    for source in sorted((ROOT / "notebooks/src").glob("*.py")):
        cells = [t for k, _, t in build.parse(source.read_text("utf-8")) if k == "code"]
        ns = {"torch": torch}
        for cell in cells:
            if cell.startswith("# core: anomaly_score"):
                exec(cell, ns)
        for solution, hidden in zip(cells, cells[1:]):
            h = build.hidden(hidden)
            if "# BEGIN SOLUTION" in solution and h and h[2] == "function":
                exec(solution.split("\n_ = ")[0], ns)
                checks_ns = {}
                exec(hidden, checks_ns)
                yield h[3], ns[h[3]], [inputs(case) for case in checks_ns["cases"]() if "device" not in case]


def test_the_package_ships_no_hidden_check_and_no_function_that_computes_an_answer(tmp_path, monkeypatch):
    """No hidden check, no reference solution: no function of the installed package, called with an
    exercise's grading inputs, returns what the instructor's solution returns.

    It calls every function of the package, each stopped by an alarm after half a second: an alarm
    can land inside a lazy import (torch's of sympy) and leave that module half-imported, so the
    sweep runs in a pytest process of its own and no later test sees that state."""
    import os
    import subprocess
    import sys
    if os.environ.get("LECTURE_UTILS_SWEEP") != "1":
        this = f"{Path(__file__).resolve()}::{test_the_package_ships_no_hidden_check_and_no_function_that_computes_an_answer.__name__}"
        run = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", this],
                             env=os.environ | {"LECTURE_UTILS_SWEEP": "1"}, capture_output=True, text=True, timeout=900)
        assert run.returncode == 0 and "1 passed" in run.stdout, run.stdout[-3000:] + run.stderr[-2000:]
        return
    import copy
    import signal
    package = list((ROOT / "lecture_utils").rglob("*.py"))
    assert not [p for p in package if "def hidden_" in p.read_text("utf-8") or "_reference(" in p.read_text("utf-8")]
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("LECTURE_UTILS_DATA", str(tmp_path / "cache"))
    functions = dict(package_functions())
    assert len(functions) > 100 and "lecture_utils.vae.homework.check_bernoulli_kl" in functions

    def too_slow(*_):
        raise TimeoutError

    def returns(fn, args, expected) -> bool:
        """Whether ``fn(*args)`` returns ``expected`` (within half a second)."""
        signal.setitimer(signal.ITIMER_REAL, 0.5)
        try:
            return same(fn(*copy.deepcopy(args)), expected)
        except BaseException:
            return False
        finally:
            signal.setitimer(signal.ITIMER_REAL, 0)

    signal.signal(signal.SIGALRM, too_slow)
    answers = []
    for exercise, solution, cases in exercises():
        expected = [solution(*copy.deepcopy(args)) for args in cases]
        found = [name for name, fn in functions.items()
                 if all(returns(fn, args, want) for args, want in zip(cases, expected))]
        answers += [(exercise, name) for name in found]
    assert answers == []
    assert {e for e, _, _ in exercises()} >= {"defect_fraction", "bernoulli_kl", "lecture_grad", "image_score",
                                               "divergence_energy", "threshold_at_fpr", "ziz_loss", "sgd_search"}


def test_the_tuple_rule_finds_an_energy_that_returns_the_answer_first():
    import torch
    from lecture_utils.vae.homework import tiny_vae
    from lecture_utils.vae.projection import kl_energy
    model, x = tiny_vae(0), torch.full((2, 1, 3, 3), 0.3, dtype=torch.float64)
    energy, x_hat = kl_energy(model, x, x, 0.1)
    assert same((energy, x_hat), energy) and not same((energy, x_hat), energy + 1) and not same((x_hat,), energy)


LECTURE_1 = ROOT / "notebooks" / "grading" / "01_vae_iterative_projection.json"
DIVERGENCE_CHEATS = {   # each would pass a careless check: the package's energy, a constant, a detached VAE
    "package_kl_energy": "from lecture_utils.vae.projection import kl_energy\n"
                         "def divergence_energy(model, x_t, x_0, lam):\n    return kl_energy(model, x_t, x_0, lam)[0]",
    "constant": "import torch\ndef divergence_energy(model, x_t, x_0, lam):\n    return x_t.new_zeros(len(x_t))",
    "detached_vae": "import torch\nfrom lecture_utils.vae.model import vae_loss\n"
                    "def divergence_energy(model, x_t, x_0, lam):\n"
                    "    x_hat, mu, logvar = (v.detach() for v in model(x_t))\n"
                    "    p = lambda a, b: torch.xlogy(a, b.clamp(min=1e-6))\n"
                    "    kl = p(x_t, x_t) - p(x_t, x_hat) + p(1 - x_t, 1 - x_t) - p(1 - x_t, 1 - x_hat)\n"
                    "    g = 0.5 * (mu ** 2 + logvar.exp() - 1 - logvar).sum(1)\n"
                    "    return kl.flatten(1).sum(1) + g + lam * (x_t - x_0).abs().flatten(1).sum(1)",
    "cpu_tensor": "import torch\n"     # right values on the CPU, a device mismatch on a GPU
                  "def divergence_energy(model, x_t, x_0, lam):\n"
                  "    x_hat, mu, logvar = model(x_t)\n"
                  "    eps = torch.full(x_t.shape, 1e-6, dtype=x_t.dtype)\n"
                  "    p = lambda a, b: torch.xlogy(a, torch.maximum(b, eps))\n"
                  "    kl = p(x_t, x_t) - p(x_t, x_hat) + p(1 - x_t, 1 - x_t) - p(1 - x_t, 1 - x_hat)\n"
                  "    g = 0.5 * (mu ** 2 + logvar.exp() - 1 - logvar).sum(1)\n"
                  "    return kl.flatten(1).sum(1) + g + lam * (x_t - x_0).abs().flatten(1).sum(1)",
}


def test_lecture_1_divergence_energy_full_marks_for_the_solution_and_zero_for_cheats():
    """Exercise 5 judged as the grader does (answer_runner in its own process, the bundle's judge):
    the instructor's solution passes, each cheat fails, the untouched placeholder is not answered."""
    import sys
    sys.path.insert(0, str(ROOT / "notebooks"))
    import build
    (question,) = [q for q in grading.load_bundle(LECTURE_1)["questions"] if q.get("function") == "divergence_energy"]
    namespace = grading.prepare(question)
    cells = [t for k, _, t in build.parse((ROOT / "notebooks/src/01_vae_iterative_projection.py").read_text("utf-8"))
             if k == "code"]
    (solution,) = [c for c in cells if c.startswith("def divergence_energy")]
    source = "import torch\n" + solution.split("\n_ = ")[0]
    assert grading.verdict(question, namespace, source, {}, 60)[0] is True
    assert grading.verdict(question, namespace, "import torch\n" + build.strip_solutions(solution), {}, 60)[0] is None
    for name, cheat in DIVERGENCE_CHEATS.items():
        assert grading.verdict(question, namespace, cheat, {}, 60)[0] is False, name


def test_records_a_function_cannot_leave_are_refused_without_blocking():
    """A runner that leaves a FIFO (whose read would block forever) or forged records gets no verdict."""
    cases = [{"args": [1.0]}]
    fifo = "import os, sys\ndef f(x):\n    os.mkfifo(sys.argv[-1])\n    os._exit(0)"
    forged = "import os, sys, torch\ndef f(x):\n    torch.save({'status': 'ok'}, sys.argv[-1])\n    os._exit(0)"
    assert grading.function_records(fifo, "f", cases, 30) == "f could not be run"
    assert grading.function_records(forged, "f", cases, 30) == "f could not be run"
    assert grading.function_records("def f(x):\n    return x", "f", cases, 30)[0]["value"] == 1.0


@pytest.mark.parametrize("lang, blank, right, wrong", [("en", "Not answered yet.", "Correct:", "Not yet:"),
                                                       ("ja", "まだ解答されていません", "正解:", "まだです:")])
def test_checks_report_three_outcomes_in_the_notebooks_language(monkeypatch, capsys, lang, blank, right, wrong):
    monkeypatch.setenv(checks.LANG_ENV, lang)

    def unanswered(masks):
        raise NotImplementedError("your code here")

    assert hw00.check_defect_fraction(None) is None
    assert hw00.check_defect_fraction(unanswered) is None
    assert blank in capsys.readouterr().out
    assert hw00.check_defect_fraction(lambda m: (m > 0.5).flatten(1).float().mean(1)) is True
    assert right in capsys.readouterr().out
    assert hw00.check_defect_fraction(lambda m: m.flatten(1).sum(1)) is False
    out = capsys.readouterr().out
    assert wrong in out and "0.25" not in out  # a hint, never the reference's values
    assert hw00.check_defect_fraction(lambda m: m.mean()) is False   # wrong shape
    assert hw00.check_defect_fraction(lambda m: 1 / 0) is False       # the student's error is reported
    assert "ZeroDivisionError" in capsys.readouterr().out
