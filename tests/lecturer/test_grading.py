"""The grader, honest and hostile: correct answers in the forms students write score full marks,
unanswered ones say so in the notebook's language, and submissions that try to reach what they
must not (a classmate's notebook, the bundle, the grades file, the grader's process, the
network) get nothing and change nothing; stopping, bounds, the bundle's fields and one-line
errors. The instructor's solutions pasted into each lecture's student notebook:
tests/lecturer/test_grading_lectures.py."""
import builtins
import csv
import json
import os
import signal
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path

import pytest

from conftest import sandboxed
from lecture_tools import grading, sandbox
from lecture_tools.cli import main
from lecture_utils import checks
from lecture_utils.data import homework as hw00
from lecture_utils.data.synthetic import CapsuleSpec, write_synthetic_capsule

ROOT = Path(__file__).resolve().parents[2]
BUNDLE = ROOT / "notebooks" / "grading" / "00_datasets.json"
def notebook(*cells: str, lang: str = "en", lecture: str = "00_datasets") -> str:
    """A minimal submission of ``lecture`` (its metadata names it) with these code cells."""
    import nbformat
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(c) for c in cells])
    nb.metadata["lecture_utils"] = {"notebook": lecture, "lang": lang}
    return nbformat.writes(nb)


RIGHT = "import torch\n\ndef defect_fraction(masks):\n    return (masks > 0.5).flatten(1).float().mean(1)"
OUT = "from pathlib import Path\nfrom ipykernel import get_connection_file\nOUT = Path(get_connection_file()).parent.parent / 'out'"


@pytest.fixture
def capsule(tmp_path, monkeypatch):
    """A small capsule folder keeps the runs short; the kernels and the references read the variable."""
    path = write_synthetic_capsule(tmp_path / "capsule", CapsuleSpec(n_train=6, n_test_good=2, n_test_defect=1, size=64))
    monkeypatch.setenv("LECTURE_UTILS_CAPSULE", str(path))
    return path


@pytest.fixture
def quick(monkeypatch):
    """A kernel that ignores an interrupt is given one more second, not ten."""
    monkeypatch.setattr(grading, "INTERRUPT_GRACE", 1)


def submit(folder: Path, students: dict) -> Path:
    folder.mkdir(exist_ok=True)
    for name, text in students.items():
        (folder / f"{name}.ipynb").write_text(text, "utf-8")
    return folder


def grade(folder: Path, out: Path, *options: str, bundle: Path = BUNDLE) -> int:
    return main(["homework", "grade", str(folder), "--bundle", str(bundle), "--out", str(out), *options])


def read_csv(path):
    with open(path, newline="", encoding="utf-8") as f:
        return {(r["student"], r["question"]): (int(r["points"]), r["feedback"]) for r in csv.DictReader(f)}


# 1. Every correct answer scores, in the forms students write ----------------------------------------

NATURAL = {   # the same right answer in forms students write in Colab
    "colab_and_magics": notebook(
        "from google.colab import drive, files\nfrom google.colab import output\ndrive.mount('/content/drive')\n"
        "output.enable_custom_widget_manager()\n%matplotlib inline\n!echo shell escapes run too",
        "%%time\nTHRESHOLD = 0.5        # a module-level constant of the notebook\n\n"
        "class Pixels:\n    def __init__(self, masks):\n        self.masks = masks\n\n"
        "    def share(self):\n        return (self.masks > THRESHOLD).flatten(1).float().mean(1)\n\n"
        "def defect_fraction(masks):\n    return Pixels(masks).share()",
        "largest_type = None  # your answer"),
    "decorated_under_if_and_try": notebook(
        "import functools\nimport torch\n\ndef logged(fn):\n    @functools.wraps(fn)\n    def wrapper(*args):\n"
        "        return fn(*args)\n    return wrapper",
        "if torch.__version__:\n    try:\n        @logged\n        def defect_fraction(masks: 'torch.Tensor') -> 'torch.Tensor':\n"
        "            return (masks > 0.5).flatten(1).float().mean(1)\n    except ImportError:\n        pass"),
}


def test_natural_forms_of_a_right_answer_score_and_unanswered_questions_say_so(tmp_path, capsule, capsys):
    """Helper classes, module constants, decorators, definitions under if / try, %%time and line magics,
    shell escapes and google.colab imports (a stand-in outside Colab) all score; a placeholder and a
    missing definition read "not answered" in the notebook's language."""
    sandboxed()
    placeholder = "def defect_fraction(masks):\n    raise NotImplementedError('your code here')\nlargest_type = None"
    folder = submit(tmp_path / "s", {**NATURAL, "blank": notebook(placeholder, lang="ja"), "nothing": notebook("x = 1")})
    assert grade(folder, tmp_path / "g.csv", "--timeout", "60") == 0
    rows = read_csv(tmp_path / "g.csv")
    assert {s: rows[(s, "q1")] for s in NATURAL} == {s: (2, rows[(s, "q1")][1]) for s in NATURAL}, rows
    assert rows[("blank", "q1")] == (0, "まだ解答されていません。") and rows[("blank", "q2")] == (0, "まだ解答されていません。")
    assert rows[("nothing", "q1")] == (0, "Not answered yet.") and rows[("nothing", "q2")] == (0, "Not answered yet.")
    assert "not isolated" not in capsys.readouterr().out


def test_references_are_built_with_the_submissions_settings_and_the_csv_says_which(tmp_path, monkeypatch):
    """--reduced sets LECTURE_UTILS_REDUCED for the references as for the kernels; the CSV names the settings."""
    bundle = tmp_path / "b.json"
    code = ("from lecture_utils.config import pick\nimport lecture_utils.checks as hc\n"
            "def reference():\n    return pick('full', 'reduced')\n"
            "def judge(answer, collected, settings):\n    hc.expect(answer == settings, {'en': 'other settings', 'ja': 'other settings'})\n"
            "    return 'same settings'")
    bundle.write_text(json.dumps({"notebook": "00_datasets", "questions": [
        {"question": "q1", "points": 1, "value": "settings", "code": code}]}))
    seen = []

    def run(sub, plan, options):    # the settings the kernel would be given (sandbox.environment keeps them)
        seen.append(os.environ.get("LECTURE_UTILS_REDUCED"))
        return grading.Run(answers={"settings": "reduced" if seen[-1] == "1" else "full"})

    monkeypatch.setattr(grading, "run_submission", run)
    monkeypatch.delenv("LECTURE_UTILS_REDUCED", raising=False)
    folder = submit(tmp_path / "s", {"alice": notebook("settings = 1")})
    for options, settings in ((["--reduced"], "reduced"), ([], "full")):
        assert grade(folder, tmp_path / "g.csv", *options, bundle=bundle) == 0
        with open(tmp_path / "g.csv", newline="") as f:
            (row,) = list(csv.DictReader(f))
        assert (row["points"], row["settings"]) == ("1", settings), row
    assert seen == ["1", None] and "LECTURE_UTILS_REDUCED" not in os.environ


def test_the_kernel_gets_the_settings_and_nothing_else_of_the_graders_environment(tmp_path, monkeypatch):
    monkeypatch.setenv("LECTURE_UTILS_REDUCED", "1")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "secret")
    space = sandbox.Workspace(tmp_path)
    env = sandbox.environment(space, tmp_path / "data", True, None)
    assert env["LECTURE_UTILS_REDUCED"] == "1" and env["HOME"] == str(space.home) and env["TMPDIR"] == "/tmp"
    assert "AWS_SECRET_ACCESS_KEY" not in env and env["LECTURE_UTILS_DATA"] == str(tmp_path / "data")


def test_the_kernel_imports_both_packages_from_their_read_only_folders(tmp_path):
    """The kernel runs lecture_tools.answer_runner, which imports lecture_utils: both folders are bound
    read-only in the sandbox and their parents are on the kernel's path."""
    import lecture_tools
    import lecture_utils
    folders = [Path(m.__file__).resolve().parent for m in (lecture_utils, lecture_tools)]
    assert sandbox.PACKAGES == tuple(folders) and folders[0].name == "lecture_utils"
    space = sandbox.Workspace(tmp_path)
    assert sandbox.environment(space, tmp_path / "data", True, None)["PYTHONPATH"].split(os.pathsep) == \
        [str(f.parent) for f in folders]
    options = sandbox.bwrap_options(space, tmp_path / "data", {}, [], [])
    for folder in folders:
        assert ["--ro-bind", str(folder), str(folder)] == options[options.index(str(folder)) - 1:][:3]


# 3. Sealed runs -----------------------------------------------------------------------------------

def hostile(folder: Path, bundle: Path, out: Path, marker: Path, token: str) -> dict:
    """{student: notebook}: none solves anything; each reaches for what it must not."""
    alice = folder / "alice.ipynb"
    steal = (f"import json\nfor path in ({str(alice)!r}, {str(bundle)!r}, {str(ROOT / 'notebooks/instructor/en/00_datasets.ipynb')!r}):\n"
             "    try:\n        text = open(path).read()\n    except OSError:\n        continue\n"
             "    for cell in json.loads(text).get('cells', []):\n"
             "        source = ''.join(cell.get('source', ''))\n"
             "        if 'def defect_fraction' in source:\n            exec(source.split('_ = ')[0], globals())")
    vandal = [
        f"import os, pathlib\nfor p in ({str(alice)!r}, {str(bundle)!r}, {str(out)!r}, {str(marker)!r}):\n"
        "    try:\n        pathlib.Path(p).write_text('{}')\n    except OSError:\n        pass",
        f"import os\nfor p in pathlib.Path({str(folder)!r}).glob('*') if pathlib.Path({str(folder)!r}).exists() else []:\n"
        "    os.remove(p)",
        "import os, signal\nos.kill(os.getppid(), signal.SIGKILL)",
        f"import subprocess, sys\nsubprocess.Popen([sys.executable, '-c', 'import pathlib, time; time.sleep(1); "
        f"pathlib.Path({str(out)!r}).write_text(\"vandal,q1,2,2\"); pathlib.Path({str(marker)!r}).touch(); "
        f"time.sleep(60)  # {token}'], start_new_session=True)",
        "import socket\ntry:\n    socket.create_connection(('1.1.1.1', 53), timeout=2)\n    REACHED = True\nexcept OSError:\n"
        "    REACHED = False",
        f"import builtins, pathlib\n\ndef touch(path):\n    pathlib.Path(path).touch()\n    return 1\n\n"
        f"@(lambda fn: (touch({str(marker)!r}), setattr(builtins, 'GRADER_PWNED', 1), fn)[-1])\n"
        f"def defect_fraction(masks, _=touch({str(marker)!r})) -> touch({str(marker)!r}):\n"
        "    import subprocess, sys, torch\n"
        f"    subprocess.Popen([sys.executable, '-c', 'import pathlib, time; time.sleep(1); "
        f"pathlib.Path({str(out)!r}).write_text(\"vandal,q1,2,2\"); time.sleep(60)  # {token}'], start_new_session=True)\n"
        "    return torch.zeros(len(masks))",
        f"{OUT}\nimport torch\ntorch.save([{{'status': 'ok', 'value': torch.zeros(1)}}] * 3, OUT / 'records-q1.pt')\n"
        "torch.save({'largest_type': 'crack', 'largest_share': 0.5}, OUT / 'answers.pt')\nimport os\nos.kill(-1, 9)",
    ]
    return {"alice": notebook(RIGHT), "reader": notebook(steal), "vandal": notebook(*vandal),
            "=HYPERLINK(1)": notebook("x = 1")}


def survivors(token: str, within: float = 5) -> list[str]:
    """Processes whose command line holds ``token`` ``within`` seconds from now (killed ones take a moment to go)."""
    deadline = time.monotonic() + within
    while True:
        found = []
        for cmdline in Path("/proc").glob("[0-9]*/cmdline"):
            try:
                if token.encode() in cmdline.read_bytes():
                    found.append(cmdline.parent.name)
            except OSError:
                pass
        if not found or time.monotonic() > deadline:
            return found
        time.sleep(0.1)


def test_hostile_submissions_reach_nothing_and_score_nothing(tmp_path, capsule, capsys):
    """A notebook that reads a classmate's notebook, the bundle or the instructor's notebook, one that
    writes outside its folder (with default arguments, decorators and annotations too), deletes
    the submissions, kills the grader or every process it can, leaves a detached process behind,
    forges its records or opens a connection: 0 points each, and alice's grade, her file, the
    bundle and the CSV stand; nothing outlives the grading."""
    sandboxed()
    bundle, out, marker, token = tmp_path / "bundle.json", tmp_path / "grades.csv", tmp_path / "pwned", uuid.uuid4().hex
    bundle.write_text(BUNDLE.read_text("utf-8"), "utf-8")
    folder = tmp_path / "s"
    folder.mkdir()
    students = hostile(folder, bundle, out, marker, token)
    submit(folder, students)
    before = {p.name: p.read_bytes() for p in folder.iterdir()}
    assert grade(folder, out, "--timeout", "60", bundle=bundle) == 0
    rows = read_csv(out)
    names = {grading.escape(s) for s in students}                  # '=HYPERLINK(1): shown as text by a spreadsheet
    assert rows[("alice", "q1")][0] == 2 and {s for s, _ in rows} == names
    assert {(s, q): p for (s, q), (p, _) in rows.items() if s != "alice"} == {(s, q): 0 for s in names
                                                                            if s != "alice" for q in ("q1", "q2")}
    assert rows[("'=HYPERLINK(1)", "q1")] == (0, "Not answered yet.")
    assert {p.name: p.read_bytes() for p in folder.iterdir()} == before
    assert bundle.read_text("utf-8") == BUNDLE.read_text("utf-8")
    assert not marker.exists() and not hasattr(builtins, "GRADER_PWNED")
    time.sleep(2)                                   # the detached processes would have written by now
    assert read_csv(out) == rows and not marker.exists() and survivors(token) == []


def test_without_a_sandbox_one_line_says_what_is_not_isolated(tmp_path, capsule, monkeypatch, capsys):
    """Where bubblewrap is missing the grader still grades (limits and time hold) and says in one line
    what is then open: here a notebook reads a classmate's answer from its absolute path."""
    monkeypatch.setattr(sandbox, "missing", lambda: sandbox.NOT_ISOLATED + "bubblewrap (bwrap) is not installed")
    folder = tmp_path / "s"
    folder.mkdir()
    (folder / "notes.txt").write_text(RIGHT)
    submit(folder, {"reader": notebook(f"exec(open({str(folder / 'notes.txt')!r}).read())")})
    assert grade(folder, tmp_path / "g.csv", "--timeout", "60") == 0
    said = capsys.readouterr().out
    assert said.count("without a sandbox") == 1 and "read and write your files" in said
    assert read_csv(tmp_path / "g.csv")[("reader", "q1")][0] == 2     # what the sandbox closes
    assert "without a sandbox" in (ROOT / "docs/teaching.md").read_text("utf-8")


def test_symbolic_links_fifos_loops_and_folders_get_no_row_and_are_named(tmp_path, monkeypatch, capsys):
    folder = tmp_path / "s"
    (folder / "sub").mkdir(parents=True)
    (folder / "sub" / "deep.ipynb").write_text(notebook("x = 1"))
    (folder / "notes.txt").write_text("hi")
    (folder / "carol.ipynb").write_text("{ not json")
    (folder / "dave.ipynb").write_text(notebook("x = 1", lecture="02_anogan"))
    (folder / "eve.ipynb").write_text(notebook("x = '" + "a" * 3000 + "'"))
    (folder / "folder.ipynb").mkdir()
    os.mkfifo(folder / "fifo.ipynb")
    (folder / "loop.ipynb").symlink_to(folder / "loop.ipynb")
    (tmp_path / "alice.ipynb").write_text(notebook(RIGHT))
    (folder / "bob.ipynb").symlink_to(tmp_path / "alice.ipynb")
    (folder / "linked").symlink_to(tmp_path)
    monkeypatch.setattr(grading, "MAX_NOTEBOOK_BYTES", 2000)
    assert main(["homework", "grade", str(folder), "--bundle", str(BUNDLE), "--out", str(tmp_path / "g.csv")]) == 2
    out, err = capsys.readouterr()
    assert "no submitted notebooks of 00_datasets" in err and not (tmp_path / "g.csv").exists()
    for name, why in (("sub/deep.ipynb", "not a *.ipynb directly"), ("notes.txt", "not a *.ipynb"),
                      ("carol.ipynb", "not a readable notebook"), ("dave.ipynb", "a submission of 02_anogan"),
                      ("eve.ipynb", "larger than"), ("folder.ipynb", "a folder, not a notebook"),
                      ("fifo.ipynb", "not a regular file"), ("loop.ipynb", "a symbolic link"),
                      ("bob.ipynb", "a symbolic link"), ("linked", "a symbolic link")):
        assert f"no row: {name}: {why}" in out, (name, out)


def test_what_a_run_leaves_is_read_only_from_regular_files_within_the_limit(tmp_path):
    """A FIFO (whose read would block), a link to another file, an oversized or non-data file is no answer."""
    import torch
    torch.save({"a": 1}, tmp_path / "good.pt")
    os.mkfifo(tmp_path / "fifo.pt")
    (tmp_path / "link.pt").symlink_to(tmp_path / "good.pt")
    (tmp_path / "text.pt").write_text("not torch")
    assert grading.read_saved(tmp_path / "good.pt", dict, 1 << 20) == {"a": 1}
    assert grading.read_saved(tmp_path / "good.pt", list, 1 << 20) is None
    for name, limit in (("fifo.pt", 1 << 20), ("link.pt", 1 << 20), ("text.pt", 1 << 20), ("good.pt", 10), ("none.pt", 9)):
        assert grading.read_saved(tmp_path / name, dict, limit) is None, name


def test_the_sandbox_sees_the_data_folders_tree_and_links_but_not_the_hidden_paths(tmp_path):
    data, outside, submissions = tmp_path / "data", tmp_path / "datasets", tmp_path / "s"
    (data / "mnist").mkdir(parents=True)
    (data / "mnist" / "raw.bin").write_bytes(b"1")
    (data / "weights.pt").write_bytes(b"2")
    outside.mkdir()
    submissions.mkdir()
    (data / "capsule").symlink_to(outside)
    (data / "peek").symlink_to(submissions)
    (data / "s.csv").write_text("old grades")
    tree = sandbox.mirror(data, [submissions, data / "s.csv"])
    assert (tree["folders"], tree["files"]) == (["mnist"], ["weights.pt", "mnist/raw.bin"])
    assert tree["links"] == {"capsule": str(outside)}
    (tmp_path / "w").mkdir()
    options = sandbox.bwrap_options(sandbox.Workspace(tmp_path / "w"), data, {}, [submissions, data / "s.csv"],
                                    [outside])
    assert ["--ro-bind", str(outside), str(outside)] == options[options.index(str(outside)) - 1:][:3]
    assert ["--ro-bind", "/dev/null", f"{sandbox.DATA_SEEN}/s.csv"] == options[options.index(f"{sandbox.DATA_SEEN}/s.csv") - 2:][:3]
    assert str(submissions) not in options and "--unshare-all" in options and options[-1] == "--"


# 4. A bounded judge; 5. stopping ------------------------------------------------------------------

SLEEPER = (f"{OUT}\nimport subprocess, sys, time, os\n"
           "subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(60)  # ' + TOKEN],"
           " start_new_session=True)\n(OUT / ('started-' + TOKEN)).touch()\ntime.sleep(600)")


def started(token: str) -> bool:
    return any(Path(tempfile.gettempdir()).glob(f"grading-*/out/started-{token}"))


def test_a_cell_past_timeout_is_interrupted_one_that_ignores_it_ends_the_run_and_limits_hold(tmp_path, capsule, quick):
    """A loop past --timeout is interrupted and the notebook goes on; a loop that ignores the
    interrupt ends the run; a function answer that never returns is stopped; an allocation past
    --memory fails in the kernel, which goes on."""
    sandboxed()
    allocate = "import torch\ntry:\n    x = torch.ones(2 * 2**30, dtype=torch.uint8)\n    LIMITED = False\nexcept RuntimeError:\n" \
               "    LIMITED = True"
    right_if_limited = RIGHT.replace("return ", "return (0 if LIMITED else 1) + ")   # right only if 2 GB was refused
    slow_then_right = notebook("while True:\n    pass", allocate, right_if_limited)
    hang = notebook("import signal\nsignal.signal(signal.SIGINT, signal.SIG_IGN)\nwhile True:\n    pass", RIGHT)
    slow_function = notebook("def defect_fraction(masks):\n    while True:\n        pass")
    folder = submit(tmp_path / "s", {"slow_then_right": slow_then_right, "hang": hang, "slow_function": slow_function})
    start = time.monotonic()
    assert grade(folder, tmp_path / "g.csv", "--timeout", "2", "--memory", "1") == 0
    assert time.monotonic() - start < 60
    rows = read_csv(tmp_path / "g.csv")
    assert rows[("slow_then_right", "q1")][0] == 2
    assert "interrupted at --timeout: cell 1" in rows[("slow_then_right", "q2")][1]
    assert rows[("hang", "q1")][0] == 0 and "cell 1 ran past --timeout (2 s) and did not stop" in rows[("hang", "q1")][1]
    assert rows[("slow_function", "q1")] == (0, "Not yet: defect_fraction ran past --timeout (2 s) on the grader's inputs")


def test_sigterm_stops_grading_kills_the_notebook_and_writes_no_csv(tmp_path, capsule, monkeypatch, capsys):
    sandboxed()
    token = uuid.uuid4().hex
    folder = submit(tmp_path / "s", {"sleeper": notebook(f"TOKEN = {token!r}\n" + SLEEPER)})

    def terminate_once_started():      # only while grading runs (else the signal would end this test process)
        deadline = time.monotonic() + 100
        while time.monotonic() < deadline:
            if started(token):
                os.kill(os.getpid(), signal.SIGTERM)
                return
            time.sleep(0.1)

    before = signal.getsignal(signal.SIGTERM)
    threading.Thread(target=terminate_once_started, daemon=True).start()
    assert grade(folder, tmp_path / "g.csv", "--timeout", "120") == 130      # without the signal: 0 after 120 s
    assert capsys.readouterr().err == "interrupted: stopped while grading sleeper (1 of 1); no CSV was written\n"
    assert not list(tmp_path.glob("g.csv*")) and not started(token) and survivors(token) == []
    assert signal.getsignal(signal.SIGTERM) == before                         # the grader's handler is gone


GRADER = ("import resource, sys\nfrom lecture_tools.cli import main\nbefore = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss\n"
          "code = main(sys.argv[1:])\nprint('grew', resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before, flush=True)\n"
          "sys.exit(code)")


def test_ctrl_c_to_the_grader_alone_kills_every_child_and_a_flood_of_output_costs_it_nothing(tmp_path, capsule):
    """SIGINT to the grader's process only (not its group): exit 130, one line, no CSV, no process of the
    notebook left; the notebook graded before it printed 150 MB, which the grader never held."""
    sandboxed()
    token = uuid.uuid4().hex
    folder = submit(tmp_path / "s", {"a_flood": notebook("print('x' * 150_000_000)", RIGHT),
                                     "sleeper": notebook(f"TOKEN = {token!r}\n" + SLEEPER)})
    grader = subprocess.Popen([sys.executable, "-c", GRADER, "homework", "grade", str(folder), "--bundle", str(BUNDLE),
                               "--out", str(tmp_path / "g.csv"), "--timeout", "600"], text=True,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, start_new_session=True)
    try:
        deadline = time.monotonic() + 180
        while not started(token) and time.monotonic() < deadline and grader.poll() is None:
            time.sleep(0.1)
        grader.send_signal(signal.SIGINT)
        out, err = grader.communicate(timeout=60)
    finally:
        grader.kill()
    assert grader.returncode == 130, (out, err)
    assert err == "interrupted: stopped while grading sleeper (2 of 2); no CSV was written\n"
    assert "a_flood: 2 / 3 points" in out and not list(tmp_path.glob("g.csv*"))
    grew_kb = int(out.split("grew ")[1].split()[0])                  # ru_maxrss: kilobytes on Linux
    assert grew_kb < 75_000, f"the grader's peak memory grew by {grew_kb} kB while a notebook printed 150 MB"
    assert survivors(token) == [] and not started(token)


def test_ctrl_c_at_any_moment_of_a_command_is_one_line(tmp_path):
    """Ctrl-C while `python -m lecture_tools` imports torch and the package, or while it runs: one line, 130."""
    start = "import runpy, sys\nsys.stderr.write('started\\n'); sys.stderr.flush()\n" \
            "runpy.run_module('lecture_tools', run_name='__main__', alter_sys=True)"
    codes = []
    for delay in (0.05, 0.6, 1.5):
        process = subprocess.Popen([sys.executable, "-c", start, "homework", "grade", str(tmp_path), "--bundle",
                                    str(BUNDLE)], stderr=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        assert process.stderr.readline() == "started\n"
        time.sleep(delay)
        process.send_signal(signal.SIGINT)
        _, err = process.communicate(timeout=60)
        codes.append(process.returncode)
        if process.returncode != 2:       # the command had ended: no submissions in tmp_path
            assert (process.returncode, err) == (130, "interrupted; nothing was written\n"), (delay, err)
    assert 130 in codes, codes            # at least one Ctrl-C came before the command ended


INTERRUPT_WHILE_IMPORTING = (
    "import os, runpy, signal, sys\n"
    "MODULE = sys.argv.pop(1)\n"
    "class Interrupt:                    # Ctrl-C at the moment the module is being imported\n"
    "    def find_spec(self, name, path=None, target=None):\n"
    "        if name == MODULE: os.kill(os.getpid(), signal.SIGINT)\n"
    "sys.meta_path.insert(0, Interrupt())\n"
    "runpy.run_module('lecture_tools', run_name='__main__', alter_sys=True)")


@pytest.mark.parametrize("module", ["numpy.dtypes", "torch._C"])
def test_ctrl_c_while_a_c_extension_loads_is_one_line(tmp_path, module):
    """A Ctrl-C inside numpy's imports once left numpy half-imported: an ImportError ("cannot load
    module more than once") or a RecursionError, not the line. Now the line and 130 whatever loads."""
    run = subprocess.run([sys.executable, "-c", INTERRUPT_WHILE_IMPORTING, module, "homework", "grade", str(tmp_path),
                          "--bundle", str(BUNDLE)], capture_output=True, text=True, timeout=120)
    assert (run.returncode, run.stderr) == (130, "interrupted; nothing was written\n")


# 6. The bundle, checked before any notebook runs ----------------------------------------------------

def question(**fields):
    return {"question": "q1", "points": 1, "function": "f", "code": "def cases():\n    return []\ndef judge(r, c):\n    return 'ok'",
            **fields}


BAD_BUNDLES = [
    ({"notebook": "00_datasets", "questions": "q1"}, "'questions' must be a non-empty list"),
    ({"notebook": "00_datasets", "questions": []}, "'questions' must be a non-empty list"),
    ({"questions": [question()]}, "'notebook' must be the lecture's name"),
    ([1], "the file must be a JSON object"),
    ({"notebook": "00_datasets", "questions": [question(), "q2"]}, "questions[1] must be an object"),
    ({"notebook": "00_datasets", "questions": [{k: v for k, v in question().items() if k != "code"}]},
     "questions[0].code must be the hidden checks' code"),
    ({"notebook": "00_datasets", "questions": [{k: v for k, v in question().items() if k != "points"}]},
     "questions[0].points must be a whole number >= 1"),
    ({"notebook": "00_datasets", "questions": [question(points="two")]}, "questions[0].points must be a whole number"),
    ({"notebook": "00_datasets", "questions": [question(points=True)]}, "questions[0].points must be a whole number"),
    ({"notebook": "00_datasets", "questions": [question(value="x")]}, "questions[0] must have exactly one of"),
    ({"notebook": "00_datasets", "questions": [question(function="not a name")]}, "questions[0].function must be a name"),
    ({"notebook": "00_datasets", "questions": [question(code="def judge(:")]}, "questions[0].code is not valid Python"),
    ({"notebook": "00_datasets", "questions": [question(extra=1)]}, "questions[0].extra is not a field"),
    ({"notebook": "00_datasets", "questions": [question(), question()]}, "name a question twice"),
    ({"notebook": "00_datasets", "questions": [question(code="def judge(r, c):\n    return 1")]},
     "question q1: its code defines no function cases()"),
    ({"notebook": "00_datasets", "questions": [question(code="def cases():\n    return 1 / 0\ndef judge(r, c):\n    pass")]},
     "question q1: cases() raised ZeroDivisionError"),
    ({"notebook": "00_datasets", "questions": [question(code="def cases():\n    raise ValueError('no such set')\n"
                                                            "def judge(r, c):\n    pass")]},
     "question q1: cases() raised ValueError: no such set"),      # a ValueError of the code, told from ours by type
    ({"notebook": "00_datasets", "questions": [question(code="def cases():\n    return [1]\ndef judge(r, c):\n    pass")]},
     "question q1: cases() must return a list of {'args': [...]}"),
    ({"notebook": "00_datasets", "questions": [{"question": "q1", "points": 1, "value": "v",
                                               "code": "def reference():\n    return {}['x']\ndef judge(a, c, r):\n    pass"}]},
     "question q1: reference() raised KeyError"),
]


@pytest.mark.parametrize("bundle, said", BAD_BUNDLES, ids=[s for _, s in BAD_BUNDLES])
def test_a_bad_bundle_is_one_line_naming_the_field_before_any_notebook_runs(tmp_path, monkeypatch, capsys, bundle, said):
    monkeypatch.setattr(grading, "run_submission", lambda *a: pytest.fail("a notebook ran"))
    (tmp_path / "b.json").write_text(json.dumps(bundle))
    folder = submit(tmp_path / "s", {"alice": notebook("x = 1")})
    assert grade(folder, tmp_path / "g.csv", bundle=tmp_path / "b.json") == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and said in err, err
    assert not (tmp_path / "g.csv").exists()


# The rest of the command -------------------------------------------------------------------------

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


@pytest.mark.parametrize("option, value", [("--timeout", "0"), ("--timeout", "-1"), ("--timeout", "x"), ("--memory", "0"),
                                           ("--memory", "lots")])
def test_timeout_and_memory_must_be_positive(tmp_path, capsys, option, value):
    with pytest.raises(SystemExit) as e:
        main(["homework", "grade", str(tmp_path), "--bundle", str(BUNDLE), option, value])
    assert e.value.code == 2 and option in capsys.readouterr().err


def test_a_crash_of_the_grader_on_one_submission_leaves_the_others_graded(tmp_path, capsule, monkeypatch):
    def crashing(sub, plan, options):
        if "boom" in sub.cells[0]:
            raise RuntimeError("the grader broke")
        return grading.Run(answers={})

    monkeypatch.setattr(grading, "run_submission", crashing)
    folder = submit(tmp_path / "s", {"alice": notebook("x = 1"), "bob": notebook("boom")})
    assert grade(folder, tmp_path / "g.csv") == 0
    rows = read_csv(tmp_path / "g.csv")
    assert "could not run this notebook (RuntimeError: the grader broke)" in rows[("bob", "q1")][1]
    assert rows[("alice", "q2")] == (0, "Not answered yet.")


def test_csv_cells_are_escaped_against_formulas():
    assert [grading.escape(c) for c in ("=1+1", "+1", "-2", "@SUM", "alice", 3)] == [
        "'=1+1", "'+1", "'-2", "'@SUM", "alice", "3"]


def test_grader_errors_are_one_line(tmp_path, capsys):
    assert main(["homework", "grade", str(tmp_path), "--bundle", str(tmp_path / "none.json")]) == 2
    assert "no grading bundle" in capsys.readouterr().err
    (tmp_path / "bad.json").write_text("{ not json")
    assert main(["homework", "grade", str(tmp_path), "--bundle", str(tmp_path / "bad.json")]) == 2
    assert "not a grading bundle (not JSON)" in capsys.readouterr().err


SIDE_EFFECTS = {"__main__", "outputs", "widgets", "download", "sources"}   # commands, file writers and downloads: never called blindly


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
    from lecture_utils.hidden import inputs
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
