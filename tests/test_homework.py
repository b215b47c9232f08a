"""The exercises: the instructor's solutions (the source's solution blocks) pass every public and
hidden check, the student's placeholders report "not answered" and fail grading, and typical
mistakes get "Not yet" (with a hint, never the reference's values)."""
import contextlib
import io
import re
import sys
from contextlib import redirect_stdout
from dataclasses import dataclass
from pathlib import Path

import pytest
import torch

from lecture_utils import checks
from lecture_utils.anogan import homework as hw02
from lecture_utils.anogan.score import anomaly_score
from lecture_utils.data import homework as hw00
from lecture_utils.messages import MESSAGES
from lecture_utils.vae import homework as hw01

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "notebooks"))
import build  # noqa: E402

NAMES = sorted(p.stem for p in (ROOT / "notebooks" / "src").glob("*.py"))


def exercise_cells(name):
    """(solution cell, its hidden-check cell) for every exercise that asks for a function."""
    code = [text for kind, _, text in build.parse((ROOT / "notebooks/src" / f"{name}.py").read_text("utf-8"))
            if kind == "code"]
    pairs = [(c, code[i + 1]) for i, c in enumerate(code[:-1]) if "# BEGIN SOLUTION" in c]
    assert all(build.hidden(h) for _, h in pairs), "each exercise cell is followed by its hidden checks"
    return pairs, code


def namespace(name, code):
    ns = {"torch": torch, "homework": {"01_vae_iterative_projection": hw01}.get(name), "homework_anogan": hw02}
    for cell in code:  # the written-out A(x) that lecture 2's search exercise builds on
        if cell.startswith("# core: anomaly_score"):
            exec(cell, ns)
    return ns


def run(cell, ns) -> str:
    out = io.StringIO()
    with redirect_stdout(out):
        exec(compile(cell, "cell", "exec"), ns)
    return out.getvalue()


@pytest.mark.parametrize("name", NAMES)
def test_every_lecture_has_enough_exercises(name):
    bundle = build.bundle(build.parse((ROOT / "notebooks/src" / f"{name}.py").read_text("utf-8")), name)
    pairs, _ = exercise_cells(name)
    assert len(bundle["questions"]) >= (2 if name.startswith("00") else 4)
    assert len(pairs) >= (1 if name.startswith("00") else 3), "at least three 'implement' exercises"


@pytest.mark.parametrize("name", NAMES)
def test_solutions_pass_public_and_hidden_checks(name, monkeypatch):
    monkeypatch.setenv(checks.LANG_ENV, "en")
    pairs, code = exercise_cells(name)
    ns = namespace(name, code)
    for solution, hidden in pairs:
        out = run(solution, ns)
        assert "Correct: " in out and "Not yet" not in out, out
        run(build.instructor_cell(hidden), ns)  # raises AssertionError if a hidden check fails


@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize("lang, blank", [("en", "Not answered yet."), ("ja", "まだ解答されていません")])
def test_student_placeholders_are_not_answered_and_score_nothing(name, lang, blank, monkeypatch):
    monkeypatch.setenv(checks.LANG_ENV, lang)
    pairs, code = exercise_cells(name)
    ns = namespace(name, code)
    for solution, hidden in pairs:
        student = build.strip_solutions(solution)
        assert "# BEGIN SOLUTION" not in student and build.PLACEHOLDER in student
        out = run(student, ns)
        assert blank in out and MESSAGES["check_right"][lang].format(detail="") not in out, out
        with pytest.raises(AssertionError):
            run(build.instructor_cell(hidden), ns)


def test_strip_solutions_keeps_everything_outside_the_blocks():
    source = ("def f(x):\n    y = 1\n    # BEGIN SOLUTION\n    return x + y\n    # END SOLUTION\n\n"
              "answer = f(2) * 3  # SOLUTION\ncheck(f)")
    assert build.strip_solutions(source) == (f"def f(x):\n    y = 1\n    {build.PLACEHOLDER}\n\n"
                                             "answer = None  # your answer\ncheck(f)")
    for bad in ("# BEGIN SOLUTION\nx = 1\n# END SOLUTION", "def f():\n    # BEGIN SOLUTION\n    pass",
                "def f():\n    # END SOLUTION"):
        with pytest.raises(ValueError):
            build.strip_solutions(bad)


# Typical mistakes get "Not yet" ------------------------------------------------------------------

def not_yet(check, *args):
    out = io.StringIO()
    with redirect_stdout(out):
        result = check(*args)
    assert result is False and out.getvalue().startswith("Not yet: "), out.getvalue()
    return out.getvalue()


def test_lecture_1_mistakes(monkeypatch):
    monkeypatch.setenv(checks.LANG_ENV, "en")
    bce = lambda x, xh: -(x * xh.log() + (1 - x) * (1 - xh).log()).flatten(1).sum(1)   # forgot - H(x)
    assert "worked out by hand" in not_yet(hw01.check_bernoulli_kl, bce)
    no_grad = lambda x, xh: (x * (x / xh).log() + (1 - x) * ((1 - x) / (1 - xh)).log()).flatten(1).sum(1).detach()
    assert "no gradient" in not_yet(hw01.check_bernoulli_kl, no_grad)
    assert "by hand" in not_yet(hw01.check_lecture_grad, lambda xt, xh, x0, lam: (xt - xh) + lam * torch.sign(xt - x0))
    half_l1 = lambda xt, xh, x0, lam: 2 * (xt - xh) + lam * torch.sign(xt - x0) * (xt.numel() <= 3)   # right on 3 pixels only
    assert "finite differences" in not_yet(hw01.check_lecture_grad, half_l1)
    kl = lambda x, xh: (x * (x / xh).log() + (1 - x) * ((1 - x) / (1 - xh)).log()).flatten(1).sum(1)
    constant_gradient = lambda x, xh: kl(x.detach(), xh) + (x - x.detach()).flatten(1).sum(1)   # value right, gradient 1
    assert "must be 0 at x = x_hat" in not_yet(hw01.check_bernoulli_kl, constant_gradient)
    assert hw01.check_bernoulli_kl(kl) is True
    not_yet(hw01.check_lecture_grad, lambda xt, xh, x0, lam: 2 * (xt - xh))   # forgot the L1 term
    not_yet(hw01.check_image_score, lambda m, k: m.flatten(1).amax(1))        # ignores k
    assert "shape" in not_yet(hw01.check_image_score, lambda m, k: m.flatten(1).topk(k, dim=1).values)


def divergence_energy(model, x_t, x_0, lam, detach=False, gaussian=True, xlogy=torch.xlogy):
    """Exercise 5 written right, or with one mistake switched on."""
    x_hat, mu, logvar = model(x_t.detach() if detach else x_t)
    pixels = (xlogy(x_t, x_t.clamp(min=1e-6)) - xlogy(x_t, x_hat) + xlogy(1 - x_t, (1 - x_t).clamp(min=1e-6))
              - xlogy(1 - x_t, 1 - x_hat)).flatten(1).sum(1)
    kl = 0.5 * (mu.pow(2) + logvar.exp() - 1 - logvar).sum(1) if gaussian else 0
    return pixels + kl + lam * (x_t - x_0).abs().flatten(1).sum(1)


def cpu_tensor(m, x_t, x_0, lam):   # right on the CPU; on a GPU torch.maximum meets a CPU tensor
    eps = torch.full(x_t.shape, 1e-6, dtype=x_t.dtype)
    return divergence_energy(m, x_t, x_0, lam, xlogy=lambda u, v: torch.xlogy(u, torch.maximum(v, eps)))


ON_ANY_DEVICE = (   # exercise 5 written right in the ways that run on a GPU too
    lambda m, x_t, x_0, lam: divergence_energy(m, x_t, x_0, lam, xlogy=lambda u, v: torch.xlogy(
        u, torch.maximum(v, x_t.new_full(x_t.shape, 1e-6)))),               # bounds made on x_t's device
    lambda m, x_t, x_0, lam: divergence_energy(m, x_t, x_0, lam, xlogy=lambda u, v: torch.xlogy(
        u, torch.maximum(v, torch.full_like(v, 1e-6)))),                     # ... or like v
    lambda m, x_t, x_0, lam: divergence_energy(m, x_t, x_0, lam, xlogy=lambda u, v: torch.xlogy(
        u, torch.maximum(v, torch.tensor(1e-6, dtype=v.dtype)))),           # a 0-dim CPU tensor works on a GPU
    lambda m, x_t, x_0, lam: divergence_energy(m, x_t, x_0, lam) * (x_t.max().item() <= 1))   # meta: no .item()


def test_a_tensor_made_on_the_cpu_is_told_by_the_devices_an_operation_fails_on():
    meta, cpu = torch.ones(2, 3, device="meta"), torch.ones(2, 3)
    for mixed, op in ((True, lambda: meta - cpu), (True, lambda: torch.where(meta > 0, meta, cpu)),
                      (True, lambda: torch.cat([meta, cpu])), (False, lambda: meta - torch.tensor(0.5)),
                      (False, lambda: cpu.to(meta) - meta), (False, lambda: meta.sum().item()),
                      (False, lambda: torch.empty_like(meta).copy_(cpu))):
        with checks.DeviceSpy() as spy, contextlib.suppress(RuntimeError, NotImplementedError):
            op()
        assert spy.mixed is mixed


@pytest.mark.parametrize("lang", ["en", "ja"])
def test_a_tensor_made_on_the_cpu_fails_the_public_and_the_hidden_check_in_either_language(monkeypatch, lang):
    monkeypatch.setenv(checks.LANG_ENV, lang)
    hint = MESSAGES["check_cpu_tensor"][lang].format(name="divergence_energy")
    with redirect_stdout(io.StringIO()) as out:
        assert hw01.check_divergence_energy(cpu_tensor) is False
    ok, line = hidden("01_vae_iterative_projection", "divergence_energy", cpu_tensor)
    assert hint in out.getvalue() and ok is False and hint in line
    for right in ON_ANY_DEVICE:
        assert hidden("01_vae_iterative_projection", "divergence_energy", right)[0] is True


def test_lecture_1_divergence_energy_mistakes(monkeypatch):
    from lecture_utils.vae.projection import kl_energy
    monkeypatch.setenv(checks.LANG_ENV, "en")
    assert hw01.check_divergence_energy(divergence_energy) is True
    package = lambda model, x_t, x_0, lam: kl_energy(model, x_t, x_0, lam)[0]   # BCE - clamped H: off at 0 and 1
    assert "worked out by hand" in not_yet(hw01.check_divergence_energy, package)
    assert "worked out by hand" in not_yet(hw01.check_divergence_energy,
                                           lambda *a: divergence_energy(*a, gaussian=False))
    exercise_1 = lambda x, xh: (x * (x / xh).log() + (1 - x) * ((1 - x) / (1 - xh)).log()).flatten(1).sum(1)
    nan_at_0 = lambda m, x_t, x_0, lam: (exercise_1(x_t, m(x_t)[0])      # 0 * log 0 = nan at pixels of 0 and 1
                                         + divergence_energy(m, x_t, x_0, lam, xlogy=lambda u, v: 0 * v))
    said = not_yet(hw01.check_divergence_energy, nan_at_0)
    assert "worked out by hand" in said and "NaN or inf values at 1 of 2 entries" in said and "log of 0" in said
    assert "relative error" not in said                                          # not "largest relative error nan"
    through_x_only = lambda *a: divergence_energy(*a, detach=True)              # f_VAE, mu, log var detached
    assert "finite differences" in not_yet(hw01.check_divergence_energy, through_x_only)
    assert "no gradient" in not_yet(hw01.check_divergence_energy, lambda *a: divergence_energy(*a).detach())
    assert "creates a tensor on the CPU" in not_yet(hw01.check_divergence_energy, cpu_tensor)
    for right in ON_ANY_DEVICE:
        assert hw01.check_divergence_energy(right) is True
    mean_l1 = lambda m, x_t, x_0, lam: divergence_energy(m, x_t, x_0, 0.0) + lam * (x_t - x_0).abs().flatten(1).mean(1)
    assert "worked out by hand" in not_yet(hw01.check_divergence_energy, mean_l1)


def test_value_answers_get_properties_checked_and_never_the_value(monkeypatch, capsys):
    monkeypatch.setenv(checks.LANG_ENV, "en")
    for good in (2.37, torch.tensor(0.8)):
        assert hw01.check_moved_ratio(good) is True
        assert capsys.readouterr().out.startswith("Plausible: ")
    for bad in (0.0, -1.5, float("nan"), torch.ones(3), "2", True):
        assert hw01.check_moved_ratio(bad) is False
    assert hw01.check_moved_ratio(None) is None
    labels = torch.tensor([0, 0, 1, 1, 1, 1])                 # 4 anomalies: 0, 1/4, ..., 1
    assert hw02.check_tpr(0.75, labels) is True and hw02.check_tpr(1, labels) is True
    assert [hw02.check_tpr(v, labels) for v in (0.6, 1.25, -0.25)] == [False] * 3
    assert hw02.check_tpr(None, labels) is None


def test_lecture_2_mistakes(monkeypatch):
    monkeypatch.setenv(checks.LANG_ENV, "en")
    assert "lower threshold" in not_yet(hw02.check_threshold_at_fpr, lambda s, fpr: s.max())
    not_yet(hw02.check_threshold_at_fpr, lambda s, fpr: s.sort().values[int((1 - fpr) * len(s)) - 2])

    def midway(s, fpr):  # any threshold between the same two normal scores makes the same decisions
        s, allowed = s.sort().values, int(fpr * len(s) + 1e-9)
        return s[-1] + 1 if allowed == 0 else (s[len(s) - 1 - allowed] + s[len(s) - allowed]) / 2

    assert hw02.check_threshold_at_fpr(midway) is True
    no_epsilon = lambda s, fpr: s.sort().values[len(s) - 1 - int(fpr * len(s))]   # 0.29 * 100 = 28.999...: 28
    assert "28.999999999999996 in floating point" in not_yet(hw02.check_threshold_at_fpr, no_epsilon)
    not_yet(hw02.check_ziz_loss, lambda E, G, z: (z - E(G(z))).pow(2).sum())
    assert "gradient for E" in not_yet(hw02.check_ziz_loss, lambda E, G, z: (z - E(G(z))).pow(2).mean().detach())

    def adam_search(G, D, x, z0, lr, iterations, lam=0.1):
        G.eval(), D.eval(), G.requires_grad_(False), D.requires_grad_(False)
        z = z0.clone().requires_grad_(True)
        opt = torch.optim.Adam([z], lr=lr)
        for _ in range(iterations):
            opt.zero_grad()
            anomaly_score(G, D, x, z, lam).score.sum().backward()
            opt.step()
        return z.detach()

    assert "worked out by hand" in not_yet(hw02.check_sgd_search, adam_search)

    def train_mode_search(G, D, x, z0, lr, iterations, lam=0.1):
        z = z0.clone().requires_grad_(True)
        for _ in range(iterations):
            (g,) = torch.autograd.grad(anomaly_score(G, D, x, z, lam).score.sum(), z)
            z = (z - lr * g).detach().requires_grad_(True)
        return z.detach()

    assert "eval mode" in not_yet(hw02.check_sgd_search, train_mode_search)

    def in_place(G, D, x, z0, lr, iterations, lam=0.1):
        G.eval(), D.eval(), G.requires_grad_(False), D.requires_grad_(False)
        for _ in range(iterations):
            z = z0.requires_grad_(True)
            (g,) = torch.autograd.grad(anomaly_score(G, D, x, z, lam).score.sum(), z)
            z0.data -= lr * g
        return z0.detach()

    assert "in place" in not_yet(hw02.check_sgd_search, in_place)


@dataclass
class FakeSplit:
    masks: torch.Tensor
    defects: list


def test_data_notebook_largest_defect_check():
    masks = torch.zeros(4, 1, 4, 4)
    masks[1, 0, :1] = 1                  # crack: 4 of 16 pixels
    masks[2, 0, :2] = 1                  # poke: 8 of 16
    masks[3, 0, :3] = 1                  # crack: 13 of 16, so crack's mean 17/32 is above poke's 16/32
    masks[3, 0, 3, 0] = 1
    split = FakeSplit(masks, ["good", "crack", "poke", "crack"])
    assert hw00.check_largest_defect("crack", 17 / 32, split) is True
    assert hw00.check_largest_defect("poke", 0.5, split) is True    # a type of the set: only the grader knows
    assert hw00.check_largest_defect("good", 0.5, split) is False
    assert hw00.check_largest_defect("scratch", 0.5, split) is False
    for bad_share in (0.0, 1.5, -0.1, "0.5", torch.ones(2)):
        assert hw00.check_largest_defect("crack", bad_share, split) is False
    assert hw00.check_largest_defect(None, None, split) is None
    assert hw00.check_largest_defect("crack", None, split) is None


@pytest.mark.parametrize("lang", ["en", "ja"])
def test_an_answer_with_braces_is_quoted_in_the_hint_never_read_as_a_field(monkeypatch, lang):
    monkeypatch.setenv(checks.LANG_ENV, lang)
    split = FakeSplit(torch.zeros(2, 1, 4, 4), ["good", "crack"])
    for answer in ("{kinds}", "{0}", "{answer.__class__}"):
        out = io.StringIO()
        with redirect_stdout(out):
            assert hw00.check_largest_defect(answer, 0.5, split) is False
        assert repr(answer) in out.getvalue() and "crack" in out.getvalue()      # the hint, not "could not check"
        with pytest.raises(checks.Wrong, match=re.escape(repr(answer))):
            hidden_namespace("00_datasets", "largest_type")["judge"](answer, {"largest_share": 0.5}, {"crack": 0.5})


@pytest.mark.parametrize("name", NAMES)
def test_each_exercise_states_its_goal_and_time_in_both_languages(name):
    cells = build.parse((ROOT / "notebooks/src" / f"{name}.py").read_text("utf-8"))
    en = [t for k, lang, t in cells if k == "markdown" and lang == "en" and "**Exercise" in t]
    ja = [t for k, lang, t in cells if k == "markdown" and lang == "ja" and "**課題" in t]
    assert len(en) == len(ja) >= 2
    assert all("*Goal:" in t and "minutes)" in t for t in en)
    assert all("目標：" in t and re.search(r"約\d+分", t) for t in ja)


def kind_of_fpr_case(n: int, fpr: float) -> str:
    """What a threshold case tests: no false positive allowed, fpr · n a whole number, one only up to
    float rounding (where int(fpr * n) is one too few), or not one."""
    allowed = fpr * n
    return "zero" if fpr == 0 else "whole" if allowed == round(allowed) else \
        "rounded" if abs(allowed - round(allowed)) < 1e-9 else "fraction"


def test_threshold_public_check_covers_every_kind_of_hidden_case():
    cells = build.parse((ROOT / "notebooks/src/02_anogan.py").read_text("utf-8"))
    (question,) = [q for q in build.bundle(cells, "02_anogan")["questions"] if q.get("function") == "threshold_at_fpr"]
    ns = {}
    exec(question["code"], ns)
    hidden = {kind_of_fpr_case(len(c["args"][0]), c["args"][1]) for c in ns["cases"]()}
    handmade = {kind_of_fpr_case(len(scores), fpr) for scores, fpr, _ in hw02._THRESHOLDS}
    random = {kind_of_fpr_case(n, fpr) for _, n, fpr in hw02.RANDOM_THRESHOLDS}
    assert hidden == {"zero", "whole", "rounded", "fraction"}
    assert hidden <= handmade and hidden <= random


def test_threshold_hidden_check_fails_int_of_fpr_times_n():
    """int(fpr * n) without a tolerance flags one image too few where fpr · n is whole only up to rounding."""
    cells = build.parse((ROOT / "notebooks/src/02_anogan.py").read_text("utf-8"))
    (question,) = [q for q in build.bundle(cells, "02_anogan")["questions"] if q.get("function") == "threshold_at_fpr"]
    ns = {}
    exec(question["code"], ns)
    cases = ns["cases"]()
    fn = lambda s, fpr: s.sort().values[len(s) - 1 - int(fpr * len(s))]
    records = [{"status": "ok", "value": fn(*c["args"])} for c in cases]
    with pytest.raises(checks.Wrong, match="a lower threshold would do"):
        ns["judge"](records, cases)


def test_tpr_hidden_check_takes_the_threshold_from_the_held_out_normal_images_not_the_test_set():
    cells = build.parse((ROOT / "notebooks/src/02_anogan.py").read_text("utf-8"))
    (question,) = [q for q in build.bundle(cells, "02_anogan")["questions"] if q.get("value") == "tpr_at_5"]
    ns = {}
    exec(question["code"], ns)
    assert set(ns["COLLECT"]) == {"scores", "val_scores"}
    labels = torch.tensor([0] * 20 + [1] * 4).bool()
    scores = torch.cat([torch.arange(20.0), torch.tensor([17.5, 18.5, 21.0, 22.0])])   # test: 20 normal, 4 anomalies
    val = torch.arange(20.0) * 0.9 + 0.05                                            # held out: 1 of 20 above 16.25
    collected = {"scores": scores, "val_scores": val}
    assert "100%" in ns["judge"](1.0, collected, (labels, 20))     # every anomaly is above 16.25
    with pytest.raises(checks.Wrong, match="comes from the test images"):
        ns["judge"](0.75, collected, (labels, 20))                 # the test normals' threshold, 18: leakage
    with pytest.raises(checks.Wrong, match="not the share"):
        ns["judge"](0.5, collected, (labels, 20))
    with pytest.raises(checks.Wrong, match="val_search.scores"):
        ns["judge"](1.0, {"scores": scores, "val_scores": val[:10]}, (labels, 20))
    with pytest.raises(checks.NotAnswered):
        ns["judge"](None, collected, (labels, 20))


def test_largest_defect_public_check_says_the_same_for_every_type_and_only_the_grader_tells_them_apart(
        monkeypatch, capsys):
    monkeypatch.setenv(checks.LANG_ENV, "en")
    split = FakeSplit(torch.zeros(3, 1, 2, 2), ["good", "crack", "poke"])
    said = []
    for kind in ("crack", "poke"):
        assert hw00.check_largest_defect(kind, 0.05, split) is True
        said.append(capsys.readouterr().out.replace(kind, "TYPE"))
    assert said[0] == said[1], "the public check's message must not depend on which type is right"
    cells = build.parse((ROOT / "notebooks/src/00_datasets.py").read_text("utf-8"))
    (question,) = [q for q in build.bundle(cells, "00_datasets")["questions"] if q.get("value") == "largest_type"]
    ns = {}
    exec(question["code"], ns)
    assert ns["COLLECT"] == {"largest_share": "largest_share"}
    share = {"crack": 0.02, "poke": 0.05}
    assert "poke" in ns["judge"]("poke", {"largest_share": 0.05}, share)
    assert "poke" in ns["judge"]("poke", {"largest_share": torch.tensor(0.05)}, share)
    with pytest.raises(checks.Wrong):
        ns["judge"]("crack", {"largest_share": 0.02}, share)
    for guessed in ({}, {"largest_share": None}, {"largest_share": 0.02}, {"largest_share": 0.5}):
        with pytest.raises(checks.Wrong, match="largest_share"):    # the right type guessed, its share not computed
            ns["judge"]("poke", guessed, share)


def hidden_namespace(name: str, answer: str) -> dict:
    """The namespace of the hidden-check cell of ``answer`` in lecture ``name``, its code run."""
    cells = build.parse((ROOT / f"notebooks/src/{name}.py").read_text("utf-8"))
    (question,) = [q for q in build.bundle(cells, name)["questions"] if answer in (q.get("value"), q.get("function"))]
    ns = {}
    exec(question["code"], ns)
    return ns


def test_moved_ratio_hidden_check_names_the_inverted_ratio_and_the_mean_of_per_image_ratios():
    """The public check can only see a positive number; the grader recomputes the batch ratio
    (λ = 0 total over λ total) and names its inverse and a mean of per-image ratios."""
    from dataclasses import replace
    from lecture_utils.vae.projection import ProjectionConfig, l1_term, project
    ns = hidden_namespace("01_vae_iterative_projection", "moved_ratio")
    model = hw01.seeded_vae(0, z_dim=100, channels=3).eval()
    contrast = torch.tensor([1.0, 0.5, 0.1]).view(3, 1, 1, 1)          # images unlike each other: per-image ratios differ
    x_0 = torch.rand(3, 3, 128, 128, generator=torch.Generator().manual_seed(0)) * contrast
    config = ProjectionConfig(iterations=3, alpha=0.5, lam=2.0)         # a strong L1 pull: the three ratios differ
    collected = {"weights": model.state_dict(), "x_0": x_0, "z_dim": 100}
    free, kl = (project(model, x_0, replace(config, lam=lam)).x for lam in (0.0, config.lam))
    ratio = (free - x_0).abs().sum().item() / (kl - x_0).abs().sum().item()
    per_image = (l1_term(free, x_0) / l1_term(kl, x_0)).mean().item()
    assert abs(ratio - 1 / ratio) > 2e-3 * ratio and abs(ratio - per_image) > 2e-3 * ratio, (ratio, per_image)
    assert "times as far" in ns["judge"](ratio, collected, (config, 3))
    for wrong, said in ((1 / ratio, "put the lam = 0 run on top"), (per_image, "a mean of per-image ratios"),
                        (ratio * 1.5, "is not the lam = 0 distance divided by the lam distance")):
        with pytest.raises(checks.Wrong, match=said):
            ns["judge"](wrong, collected, (config, 3))


@pytest.mark.parametrize("forged, said", [
    ({"x_0": torch.rand(300, 3, 128, 128)}, "x_0 is not section 5's images"),          # 300 images: 100 times the work
    ({"x_0": torch.rand(3, 3, 512, 512)}, "x_0 is not section 5's images"),
    ({"x_0": [0.5] * 10}, "x_0 is not section 5's images"),
    ({"z_dim": 10 ** 6}, "not the notebook's VAE"),
    ({"weights": {"encoder.0.weight": torch.zeros(10 ** 6)}}, "weights are not the notebook's VAE's"),
    ({"weights": "weights"}, "not the notebook's VAE")])
def test_moved_ratio_hidden_check_refuses_forged_inputs_before_computing(forged, said):
    """The weights, x_0 and z_dim a notebook hands back are checked for type and shape against the
    lecture's VAE and images before the judge projects anything (a forged x_0 of 300 images or
    z_dim = 10**6 would keep it busy for minutes)."""
    import time
    from lecture_utils.vae.projection import ProjectionConfig
    ns = hidden_namespace("01_vae_iterative_projection", "moved_ratio")
    collected = {"weights": hw01.seeded_vae(0, z_dim=100, channels=3).state_dict(),
                 "x_0": torch.rand(3, 3, 128, 128), "z_dim": 100, **forged}
    start = time.monotonic()
    with pytest.raises(checks.Wrong, match=said):
        ns["judge"](1.5, collected, (ProjectionConfig(iterations=100), 3))
    assert time.monotonic() - start < 2


@pytest.mark.parametrize("lang, said", [("en", "has NaN or inf values at 2 of 3 entries"),
                                        ("ja", "3個の値のうち 2個が NaN か inf です")])
def test_close_names_nan_and_inf_and_the_likely_cause(monkeypatch, lang, said):
    monkeypatch.setenv(checks.LANG_ENV, lang)
    value, reference = torch.tensor([1.0, float("nan"), float("inf")]), torch.ones(3)
    with pytest.raises(checks.Wrong) as plain:
        checks.close(value, reference, "E")
    assert said in str(plain.value) and "relative" not in str(plain.value) and "相対" not in str(plain.value)
    with pytest.raises(checks.Wrong) as why:
        checks.close(value, reference, "E", why=checks.LOG_OF_ZERO)
    assert MESSAGES[checks.LOG_OF_ZERO][lang] in str(why.value)
    checks.close(reference, reference, "E", why=checks.LOG_OF_ZERO)   # finite and right: no error


# Wrong answers do not score, and the hint says what is wrong in the student's terms ----------------

def hidden(name: str, answer: str, fn) -> tuple:
    """(passed, line) of the hidden check of ``answer`` on the function ``fn``, judged as the grader
    does: each case called through lecture_utils.hidden.record, the records judged with the bundle's judge."""
    from lecture_utils.hidden import record
    ns = hidden_namespace(name, answer)
    cases = ns["cases"]()
    return checks.outcome(ns["judge"], [record(fn, case) for case in cases], cases)


def unclamped(model, x_t, x_0, lam):
    """Exercise 5 with torch.xlogy and no clamp: right values, gradient NaN / -inf at pixels of 0 and 1."""
    x_hat, mu, logvar = model(x_t)
    kl = (torch.xlogy(x_t, x_t) - torch.xlogy(x_t, x_hat) + torch.xlogy(1 - x_t, 1 - x_t)
          - torch.xlogy(1 - x_t, 1 - x_hat)).flatten(1).sum(1)
    return kl + 0.5 * (mu.pow(2) + logvar.exp() - 1 - logvar).sum(1) + lam * (x_t - x_0).abs().flatten(1).sum(1)


def test_an_energy_whose_gradient_is_not_finite_at_pixels_of_0_and_1_fails_public_and_hidden(monkeypatch):
    monkeypatch.setenv(checks.LANG_ENV, "en")
    said = not_yet(hw01.check_divergence_energy, unclamped)
    assert "NaN or inf at pixels of exactly 0 or 1" in said and "clamp" in said
    ok, line = hidden("01_vae_iterative_projection", "divergence_energy", unclamped)
    assert ok is False and "NaN or inf at pixels of exactly 0 or 1" in line
    assert hidden("01_vae_iterative_projection", "divergence_energy", divergence_energy)[0] is True


def by_autograd(x_t, x_hat, x_0, lam):
    x = x_t.detach().clone().requires_grad_(True)
    energy = (x - x_hat).pow(2).sum() + lam * (x - x_0).abs().sum()
    return torch.autograd.grad(energy, x)[0]


def by_backward(x_t, x_hat, x_0, lam):
    x = x_t.detach().clone()
    x.requires_grad = True
    ((x - x_hat).pow(2).sum() + lam * (x - x_0).abs().sum()).backward()
    return x.grad


def by_func(x_t, x_hat, x_0, lam):
    return torch.func.grad(lambda x: (x - x_hat).pow(2).sum() + lam * (x - x_0).abs().sum())(x_t)


@pytest.mark.parametrize("fn", [by_autograd, by_backward, by_func])
def test_the_by_hand_gradient_rejects_autograd_in_public_and_hidden_checks(fn, monkeypatch):
    monkeypatch.setenv(checks.LANG_ENV, "en")
    assert "uses autograd" in not_yet(hw01.check_lecture_grad, fn)
    ok, line = hidden("01_vae_iterative_projection", "lecture_grad", fn)
    assert ok is False and "uses autograd" in line
    by_hand = lambda x_t, x_hat, x_0, lam: 2 * (x_t - x_hat) + lam * torch.sign(x_t - x_0)
    assert hw01.check_lecture_grad(by_hand) is True
    assert hidden("01_vae_iterative_projection", "lecture_grad", by_hand)[0] is True


def energy_slip(slip):
    """Exercise 5 with one slip of DIVERGENCE_SLIPS."""
    def energy(model, x_t, x_0, lam):
        x_hat, mu, logvar = model(x_t)
        p = lambda a, b: torch.xlogy(a, b.clamp(min=1e-6))
        kl = (p(x_t, x_t) - p(x_t, x_hat) + p(1 - x_t, 1 - x_t) - p(1 - x_t, 1 - x_hat)).flatten(1)
        variance = (0.5 * logvar).exp() if slip == "sigma" else logvar.exp()
        gauss = (1.0 if slip == "no half" else 0.5) * (mu.pow(2) + variance - 1 - logvar)
        l1 = (x_t - x_0).abs().flatten(1)
        return (kl.mean(1) if slip == "pixel mean" else kl.sum(1)) + gauss.sum(1) + lam * (
            l1.mean(1) if slip == "l1 mean" else l1.sum(1))
    return energy


SLIPS = [   # (lecture, answer, a slip, what its hint must say)
    ("00_datasets", "defect_fraction", lambda m: (m > 0.5).flatten(1).sum(1).float(), "number of defective pixels, not their share"),
    ("00_datasets", "defect_fraction", lambda m: 100 * (m > 0.5).flatten(1).float().mean(1), "a percentage"),
    ("01_vae_iterative_projection", "bernoulli_kl",
     lambda x, xh: -(x * xh.log() + (1 - x) * (1 - xh).log()).flatten(1).sum(1), "BCE(x_hat, x) alone"),
    ("01_vae_iterative_projection", "bernoulli_kl",
     lambda x, xh: (x * (x / xh).log() + (1 - x) * ((1 - x) / (1 - xh)).log()).flatten(1).mean(1), "a mean over the pixels"),
    ("01_vae_iterative_projection", "lecture_grad", lambda xt, xh, x0, lam: (xt - xh) + lam * torch.sign(xt - x0),
     "the factor 2 is missing"),
    ("01_vae_iterative_projection", "lecture_grad", lambda xt, xh, x0, lam: 2 * (xt - xh), "lam * ||x_t - x_0||_1 is missing"),
    ("01_vae_iterative_projection", "image_score", lambda m, k: m.flatten(1).topk(k, dim=1).values.sum(1),
     "the sum of the k largest"),
    ("01_vae_iterative_projection", "divergence_energy", energy_slip("sigma"), "sigma where sigma^2 belongs"),
    ("01_vae_iterative_projection", "divergence_energy", energy_slip("no half"), "lacks its factor 1/2"),
    ("01_vae_iterative_projection", "divergence_energy", energy_slip("l1 mean"), "the L1 norm is a sum"),
    ("02_anogan", "ziz_loss", lambda E, G, z: (z - E(G(z))).pow(2).sum(), "a sum of the squares"),
    ("02_anogan", "ziz_loss", lambda E, G, z: (z - E(G(z))).pow(2).sum(1).mean(), "summed over the latent dimensions"),
]
PUBLIC = {"defect_fraction": hw00.check_defect_fraction, "bernoulli_kl": hw01.check_bernoulli_kl,
          "lecture_grad": hw01.check_lecture_grad, "image_score": hw01.check_image_score,
          "divergence_energy": hw01.check_divergence_energy, "ziz_loss": hw02.check_ziz_loss}


@pytest.mark.parametrize("lecture, answer, slip, said", SLIPS, ids=[f"{a}-{s}" for _, a, _, s in SLIPS])
def test_a_typical_slip_is_named_in_the_hint_of_the_public_and_the_hidden_check(lecture, answer, slip, said, monkeypatch):
    monkeypatch.setenv(checks.LANG_ENV, "en")
    assert said in not_yet(PUBLIC[answer], slip)
    ok, line = hidden(lecture, answer, slip)
    assert ok is False and said in line and "relative error" not in line


def test_slip_hints_exist_in_both_languages():
    for slips in (hw00.FRACTION_SLIPS, hw01.KL_SLIPS, hw01.GRAD_SLIPS, hw01.SCORE_SLIPS, hw01.DIVERGENCE_SLIPS,
                  hw02.ZIZ_SLIPS):
        for hint in slips.values():
            assert set(hint) == {"en", "ja"} and hint["en"].isascii() and not hint["ja"].isascii()


def test_value_answers_name_a_count_or_a_percentage_given_for_a_share():
    tpr = hidden_namespace("02_anogan", "tpr_at_5")
    labels = torch.tensor([0] * 20 + [1] * 4).bool()
    scores = torch.cat([torch.arange(20.0), torch.tensor([17.5, 18.5, 21.0, 22.0])])
    collected = {"scores": scores, "val_scores": torch.arange(20.0) * 0.9 + 0.05}
    assert "100%" in tpr["judge"](1.0, collected, (labels, 20))
    for wrong, said in ((4, "a count of flagged anomalies"), (100.0, "a percentage"), ("1.0", "must be one number")):
        with pytest.raises(checks.Wrong, match=said):
            tpr["judge"](wrong, collected, (labels, 20))
    largest = hidden_namespace("00_datasets", "largest_type")
    share = {"crack": 0.02, "poke": 0.05}
    for given, said in ((5.0, "a percentage"), (0.05 * 128 * 128, "a number of pixels"), (0.04, "not the mean")):
        with pytest.raises(checks.Wrong, match=said):
            largest["judge"]("poke", {"largest_share": given}, share)
    for forged in (["poke"], "x" * 10 ** 6, 3):
        with pytest.raises(checks.Wrong, match="largest_type must be the name of a defect type"):
            largest["judge"](forged, {"largest_share": 0.05}, share)
