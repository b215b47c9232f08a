"""The printed verdicts of both lectures and their checkers (tests/verdicts.py), which
tests/test_executed.py applies to the lectures as the book's build executed them (offline data) and
to executions on the real data (``make test-real-data``). Lecture 1's verdict lines come from
``vae.evaluate.verdict_lines``, lecture 2's from ``metrics.versus``: each checker must catch every
kind of contradiction with the numbers printed above the verdict, in the format the package prints.
(That a result stated in the lectures' prose names its data set and source is a rule of
tools/lint.py.)"""
from lecture_utils.metrics import versus
from lecture_utils.vae.evaluate import MethodResult, comparison_table, verdict_lines
from verdicts import contradictions, lecture_2_contradictions


def _result(image, pixel, n_defective=2):
    return MethodResult(target=None, maps=None, scores=[0.0] * (n_defective + 2), image_auroc=image,
                        pixel_auroc=pixel, per_defect={"crack": {"n": n_defective}}, seconds=1.0)


def test_the_verdict_says_ahead_when_the_projection_is_ahead_and_behind_when_behind():
    ahead = {"residual": _result(0.70, 0.880), "kl": _result(0.78, 0.910), "lecture": _result(0.70, 0.882)}
    lines = verdict_lines(ahead, "capsule: synthetic, seed 1 (offline)")
    assert lines[0].startswith("this run: capsule: synthetic, seed 1 (offline), 4 test images (2 defective)")
    assert "pixel AUROC 0.910 - 0.880 = +0.030 (ahead)" in lines[1] and "image AUROC 0.780 - 0.700 = +0.080 (ahead)" in lines[1]
    assert lines[2].startswith("lecture vs residual") and "(level)" in lines[2]   # +0.002: within TIE
    assert lines[3].startswith("image score: best image AUROC 0.780 (kl): usable")
    behind = {"residual": _result(0.66, 0.928), "kl": _result(0.62, 0.905)}
    lines = verdict_lines(behind, "capsule: real, the lecture's archive")
    assert "pixel AUROC 0.905 - 0.928 = -0.023 (behind)" in lines[1] and "-0.040 (behind)" in lines[1]
    assert lines[-1].startswith("image score: best image AUROC 0.660 (residual): weak") and len(lines) == 3
    assert all(line.isascii() for line in lines)
    assert contradictions(comparison_table(ahead), "\n".join(verdict_lines(ahead, "x"))) == []


def test_missing_aurocs_are_not_compared():
    lines = verdict_lines({"residual": _result(None, None), "kl": _result(None, None)}, "my folder")
    assert lines[1] == "kl vs residual: pixel AUROC n/a; image AUROC n/a" and len(lines) == 2


def test_a_verdict_the_table_contradicts_is_caught():
    table = comparison_table({"residual": _result(0.70, 0.880), "kl": _result(0.78, 0.910)})
    good = "kl vs residual: pixel AUROC 0.910 - 0.880 = +0.030 (ahead); image AUROC 0.780 - 0.700 = +0.080 (ahead)"
    assert contradictions(table, good) == []
    for wrong in (good.replace("(ahead);", "(behind);"), good.replace("0.910 - 0.880", "0.930 - 0.880"), "nothing"):
        assert contradictions(table, wrong), wrong
    assert contradictions(table, "image score: best image AUROC 0.780 (kl): strong (") != []


# --- lecture 2's verdict lines and the numbers printed before them ---------------------------------------

def _lecture_2_text(search=0.871, encoder=0.998, refined=0.997, quoted=None, source="bundled") -> str:
    """Notebook 02's lines as it prints them; the verdict quotes the AUROCs ``quoted`` gives instead."""
    said = {"search": search, "encoder": encoder, "encoder+search": refined} | (quoted or {})
    return "\n".join([
        "source: bundled | train (193, 1, 64, 64) | held-out normal 40 | test 100 (50 anomalies)",
        "searched 100 images x 10 steps in 12.3 s (8.1 images/s)",
        f"AUROC  A(x): {search:.3f} | residual only: 0.860 | discrimination only: 0.702",
        f"encoder: AUROC {encoder:.3f} in 0.05 s (246x faster than the search)",
        f"E(x) + 5 search steps: AUROC {refined:.3f} in 6.2 s",
        f"this run: {source} digits, 100 test images (50 anomalies), 10-step search; one test set, no interval",
        *(f"{m} vs search: image AUROC {versus(said[m], said['search'])}" for m in ("encoder", "encoder+search")),
        "reference, real MNIST, full settings (docs/results.md): 50-step search 0.878, encoder 0.967"])


def test_a_lecture_2_verdict_the_printed_numbers_contradict_is_caught():
    good = _lecture_2_text()
    assert lecture_2_contradictions(good) == []
    assert lecture_2_contradictions(_lecture_2_text(refined=0.873)) == []      # +0.002: level
    wrong = {"ahead called behind": good.replace("(ahead)", "(behind)", 1),
             "a tie called ahead": _lecture_2_text(refined=0.873).replace("(level)", "(ahead)"),
             "an AUROC the verdict misquotes": _lecture_2_text(quoted={"search": 0.881}),
             "other data": _lecture_2_text(source="mnist"),
             "another count": good.replace("100 test images (50", "200 test images (50"),
             "a speed-up the times deny": good.replace("246x", "24x"),
             "slower, not faster": good.replace("in 0.05 s", "in 20.00 s"),
             "a reference not in the file cited": good.replace("encoder 0.967", "encoder 0.971"),
             "no verdict": "\n".join(line for line in good.splitlines() if " vs " not in line)}
    for what, text in wrong.items():
        assert lecture_2_contradictions(text), what
    assert lecture_2_contradictions(_lecture_2_text(quoted={"encoder": 0.990})) == [
        "encoder vs search: image AUROC 0.990 - 0.871 = +0.119 (ahead)"]
