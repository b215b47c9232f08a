"""What every homework check prints, in the notebook's language: right, not yet (with a hint) or not answered.

A check body (``_defect_fraction(fn, cases)`` in ``data/homework.py`` and the like) calls the student's
function through :func:`call`, states what must hold with :func:`expect` (a hint in both languages,
never the solution) and returns the line to print when all holds. :func:`run` makes it a public check;
:func:`outcome` gives the grader (``lecture_tools.grading``) the same line for a hidden check of the
bundle. No check raises, so a notebook with unanswered exercises runs to the end. The language is
``$LECTURE_UTILS_LANG``, set by each notebook's first code cell; the lines all checks share are in the catalogue (``messages.toml``).
"""
from __future__ import annotations

import copy
import math

import torch
from torch.overrides import TorchFunctionMode

from . import messages
from .messages import LANG_ENV, language  # noqa: F401 (LANG_ENV: where tests set the language)


class NotAnswered(Exception):
    """The answer is still the placeholder (None, or a function that raises NotImplementedError)."""


class Plausible(str):
    """What a check body returns when the answer has the properties a public check can test, but
    only the grader can confirm its value (an analysis answer: the public check holds no reference)."""


class Wrong(Exception):
    """An answer that fails a check; ``args[0]`` is the hint, already in the notebook's language."""


def say(en: str, ja: str) -> str:
    """The message in the notebook's language."""
    return ja if language() == "ja" else en


def call(fn, *args, **kwargs):
    """Call the student's ``fn``; NotAnswered if it is still the placeholder, Wrong if it raises."""
    if fn is None:
        raise NotAnswered
    try:
        return fn(*args, **kwargs)
    except NotImplementedError:
        raise NotAnswered from None
    except Exception as e:  # a student's bug: a hint, never a crash of the notebook
        raise Wrong(messages.say("check_raised", error=f"{type(e).__name__}: {e}")) from None


def expect(ok, en: str, ja: str) -> None:
    """Raise Wrong with the hint (en / ja) unless ``ok``."""
    if not ok:
        raise Wrong(say(en, ja))


def tensor_of(value, shape, name: str) -> torch.Tensor:
    """``value`` as a float tensor of ``shape`` (a tuple), else Wrong with a hint on the shape."""
    expect(isinstance(value, torch.Tensor), f"{name} must return a torch.Tensor, got {type(value).__name__}",
           f"{name} は torch.Tensor を返す必要があります（{type(value).__name__} が返りました）")
    expect(tuple(value.shape) == tuple(shape), f"{name} returned shape {tuple(value.shape)}, expected {tuple(shape)}",
           f"{name} の形状が {tuple(value.shape)} です。{tuple(shape)} になるはずです")
    return value.detach().float()


def number_of(answer, name: str) -> float:
    """``answer`` as one finite float (a number or a one-element tensor); NotAnswered if None, else Wrong."""
    if answer is None:
        raise NotAnswered
    ok = isinstance(answer, (int, float)) and not isinstance(answer, bool) or (
        isinstance(answer, torch.Tensor) and answer.numel() == 1)
    expect(ok, f"{name} must be one number, got {type(answer).__name__}",
           f"{name} は1つの数である必要があります（{type(answer).__name__} です）")
    value = float(answer)
    expect(math.isfinite(value), f"{name} must be a finite number, got {value}", f"{name} は有限の数である必要があります（{value}）")
    return value


# why a value of an energy exercise may be NaN or inf (``close(..., why=LOG_OF_ZERO)``)
LOG_OF_ZERO = ("likely a log of 0 at pixels that are exactly 0 or 1: 0 * log 0 gives nan; torch.xlogy(a, b) "
               "counts it as 0 and b.clamp(min=1e-6) keeps the log finite",
               "おそらく、ちょうど 0 や 1 の画素での log 0 です: 0 * log 0 は nan になります。torch.xlogy(a, b) は"
               "それを 0 と数え、b.clamp(min=1e-6) で log を有限に保てます")


def close(value: torch.Tensor, reference: torch.Tensor, name: str, rtol: float = 1e-4, atol: float = 1e-5,
          why: tuple[str, str] | None = None, mistakes=()) -> None:
    """Wrong unless value ≈ reference (values worked out by hand or by finite differences in a
    public check; the instructor's solution only in the grader's hidden checks). The hint names the
    mistake in the student's terms when ``value`` matches one of ``mistakes`` ((what a typical
    mistake gives, en, ja): a count for a share, σ for σ², a mean for a sum), else gives the largest
    relative error, never the expected values. NaN or inf in ``value`` is named as such, with
    ``why`` (en, ja), the likely cause, if given."""
    bad = int((~torch.isfinite(value)).sum())
    en, ja = (f": {why[0]}", f": {why[1]}") if why else ("", "")
    expect(bad == 0, f"{name}: your answer has NaN or inf values at {bad} of {value.numel()} entries{en}",
           f"{name}: 解答の {value.numel()} 個の値のうち {bad} 個が NaN か inf です{ja}")
    if torch.allclose(value, reference, rtol=rtol, atol=atol):
        return
    for wrong, mistake_en, mistake_ja in mistakes:
        same = wrong.shape == value.shape and torch.allclose(value, wrong.to(value.dtype), rtol=rtol, atol=atol)
        expect(not same, f"{name}: {mistake_en}", f"{name}: {mistake_ja}")
    err = ((value - reference).abs() / (reference.abs() + atol)).max().item() if value.numel() else 0.0
    expect(False, f"{name} differs from the expected values (largest relative error {err:.2g})",
           f"{name} が期待される値と一致しません（最大相対誤差 {err:.2g}）")


class AutogradSpy(TorchFunctionMode):
    """``with AutogradSpy() as spy: ...``: ``spy.used`` turns True when the code inside asks autograd
    for a gradient (``torch.autograd.grad``, ``torch.func``, ``.backward()``, ``requires_grad``,
    reading ``.grad``, forward-mode duals): how a check tells a gradient written by hand from one
    autograd computed."""
    CALLS = {"grad", "backward", "requires_grad_", "_make_dual"}

    def __init__(self):
        super().__init__()
        self.used = False

    def __torch_function__(self, func, types, args=(), kwargs=None):
        name = getattr(func, "__name__", "")
        attribute = getattr(getattr(func, "__self__", None), "__name__", "")   # x.requires_grad = True, x.grad
        if (name in self.CALLS or (name == "__get__" and attribute == "grad")
                or (name == "__set__" and attribute == "requires_grad" and bool(args[-1]))):
            self.used = True
        return func(*args, **(kwargs or {}))


def used_autograd(name: str) -> tuple[str, str]:
    """The hint (en, ja) for an answer that asked autograd for the gradient it must derive by hand."""
    return (f"{name} uses autograd (torch.autograd.grad, .backward() or requires_grad): the exercise asks for the "
            "gradient derived by hand, written with torch operations on the inputs only",
            f"{name} が autograd（torch.autograd.grad、.backward()、requires_grad）を使っています: この課題では勾配を"
            "手で導き、入力に対する torch の演算だけで書く必要があります")


def by_hand(fn, name: str, *args):
    """``fn(*args)`` (through :func:`call`), Wrong if it asked autograd for a gradient: for exercises
    whose gradient must be derived by hand."""
    with AutogradSpy() as spy:
        result = call(fn, *args)
    expect(not spy.used, *used_autograd(name))
    return result


def device_mismatch(error: str) -> bool:
    """Whether ``error`` is a tensor on the CPU meeting tensors on another device (meta in a check,
    CUDA on a GPU: "Expected all tensors to be on the same device")."""
    return "same device" in error or ("device" in error and "cpu" in error and "meta" in error)


def wrong_device(name: str) -> tuple[str, str]:
    """The hint (en, ja) for an answer that creates a tensor on the CPU."""
    return (f"{name} creates a tensor on the CPU: on a GPU (Colab) it fails with 'Expected all tensors to be "
            "on the same device'. Create tensors on the images' device (torch.full_like(x, v), x.new_full(shape, "
            "v)) or use .clamp(min=...) instead of a tensor of bounds",
            f"{name} が CPU 上にテンソルを作っています: GPU（Colab）では 'Expected all tensors to be on the same "
            "device' というエラーになります。テンソルは画像と同じデバイスに作るか（torch.full_like(x, v)、"
            "x.new_full(shape, v)）、境界のテンソルの代わりに .clamp(min=...) を使いましょう")


def on_meta(fn, name: str, *args) -> None:
    """Call ``fn`` with copies of the networks and tensors of ``args`` on the meta device (shapes, no
    values): a tensor ``fn`` creates on the CPU meets them as it would meet CUDA tensors on a GPU, so a
    CPU-only check catches it; Wrong with :func:`wrong_device`'s hint then. Any other error (an operation
    meta lacks, ``.item()``) is not the answer's fault and is ignored."""
    meta = torch.device("meta")
    moved = [copy.deepcopy(a).to(meta) if isinstance(a, torch.nn.Module) else a.detach().to(meta)
             if isinstance(a, torch.Tensor) else a for a in args]
    try:
        fn(*moved)
    except Exception as e:
        expect(not device_mismatch(str(e)), *wrong_device(name))


def outcome(body, *args) -> tuple[bool | None, str]:
    """(True, "Correct: ..."), (False, "Not yet: hint") or (None, "Not answered yet.") of ``body(*args)``,
    in the notebook's language; never raises."""
    try:
        detail = body(*args) or ""
        return True, messages.say("check_plausible" if isinstance(detail, Plausible) else "check_right", detail=detail)
    except NotAnswered:
        return None, messages.say("check_blank")
    except Wrong as e:
        return False, messages.say("check_wrong", hint=e)
    except Exception as e:  # an answer of an unexpected kind (a list instead of a tensor, ...)
        return False, messages.say("check_wrong", hint=messages.say("check_unreadable", error=f"{type(e).__name__}: {e}"))


def run(body, answer, *args) -> bool | None:
    """A public check: print the outcome of ``body(answer, *args)``; True, False or None."""
    ok, line = outcome(body, answer, *args)
    print(line)
    return ok


def returned(record: dict, name: str):
    """The value a call of the student's ``name`` returned (a record of ``hidden.record``);
    NotAnswered if it is still the placeholder or the notebook defines no ``name``, Wrong with the
    error if it raised."""
    if record.get("status") in ("not answered", "missing"):
        raise NotAnswered
    if record.get("status") != "ok":
        error = record.get("error", "?")
        raise Wrong(messages.say("check_raised", error=error))
    return record.get("value")
