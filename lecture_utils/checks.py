"""What every homework check prints, in the notebook's language: right, not yet (with a hint) or not answered.

A check body (``_defect_fraction(fn, cases)`` in ``data/homework.py`` and the like) calls the student's
function through :func:`call`, states what must hold with :func:`expect` (a hint, never the
solution: a message as ``messages.say`` takes it, a key of the catalogue or ``{"en": ..., "ja": ...}``
inline, with its fields) and returns the line to print when all holds. :func:`run` makes it a public
check; :func:`outcome` gives the grader (``lecture_tools.grading``) the same line for a hidden check
of the bundle. No check raises, so a notebook with unanswered exercises runs to the end. The language
is ``$LECTURE_UTILS_LANG``, set by each notebook's first code cell; the hints all checks share are in
the catalogue (``messages.toml``, its ``checks`` group), each exercise's beside its check.
"""
from __future__ import annotations

import contextlib
import copy
import math

import torch
from torch.overrides import TorchFunctionMode

from .messages import LANG_ENV, say  # noqa: F401 (LANG_ENV: where tests set the language)


class NotAnswered(Exception):
    """The answer is still the placeholder (None, or a function that raises NotImplementedError)."""


class Plausible(str):
    """What a check body returns when the answer has the properties a public check can test, but
    only the grader can confirm its value (an analysis answer: the public check holds no reference)."""


class Wrong(Exception):
    """An answer that fails a check; ``args[0]`` is the hint, already in the notebook's language."""


def call(fn, *args, **kwargs):
    """Call the student's ``fn``; NotAnswered if it is still the placeholder, Wrong if it raises."""
    if fn is None:
        raise NotAnswered
    try:
        return fn(*args, **kwargs)
    except NotImplementedError:
        raise NotAnswered from None
    except Exception as e:  # a student's bug: a hint, never a crash of the notebook
        raise Wrong(say("check_raised", error=f"{type(e).__name__}: {e}")) from None


def expect(ok, message, **fields) -> None:
    """Raise Wrong with the hint ``message`` (a catalogue key or an inline ``{"en": ..., "ja": ...}``,
    its ``fields`` filled in: ``messages.say``) unless ``ok``."""
    if not ok:
        raise Wrong(say(message, **fields))


def tensor_of(value, shape, name: str) -> torch.Tensor:
    """``value`` as a float tensor of ``shape`` (a tuple), else Wrong with a hint on the shape."""
    expect(isinstance(value, torch.Tensor), "check_not_tensor", name=name, got=type(value).__name__)
    expect(tuple(value.shape) == tuple(shape), "check_shape", name=name, got=tuple(value.shape), want=tuple(shape))
    return value.detach().float()


def number_of(answer, name: str) -> float:
    """``answer`` as one finite float (a number or a one-element tensor); NotAnswered if None, else Wrong."""
    if answer is None:
        raise NotAnswered
    ok = isinstance(answer, (int, float)) and not isinstance(answer, bool) or (
        isinstance(answer, torch.Tensor) and answer.numel() == 1)
    expect(ok, "check_not_number", name=name, got=type(answer).__name__)
    value = float(answer)
    expect(math.isfinite(value), "check_not_finite", name=name, value=value)
    return value


LOG_OF_ZERO = "check_log_of_zero"   # why a value of an energy exercise may be NaN or inf (``close(..., why=LOG_OF_ZERO)``)


def close(value: torch.Tensor, reference: torch.Tensor, name: str, rtol: float = 1e-4, atol: float = 1e-5,
          why=None, mistakes=()) -> None:
    """Wrong unless value ≈ reference (values worked out by hand or by finite differences in a
    public check; the instructor's solution only in the grader's hidden checks). The hint names the
    mistake in the student's terms when ``value`` matches one of ``mistakes`` ((what a typical
    mistake gives, its hint): a count for a share, σ for σ², a mean for a sum), else gives the largest
    relative error, never the expected values. NaN or inf in ``value`` is named as such, with
    ``why``, the likely cause, if given. Hints are messages as `expect` takes them."""
    bad = int((~torch.isfinite(value)).sum())
    expect(bad == 0, "check_nan", name=name, bad=bad, n=value.numel(), why=f": {say(why)}" if why else "")
    if torch.allclose(value, reference, rtol=rtol, atol=atol):
        return
    for wrong, mistake in mistakes:
        if wrong.shape == value.shape and torch.allclose(value, wrong.to(value.dtype), rtol=rtol, atol=atol):
            raise Wrong(f"{name}: {say(mistake)}")
    err = ((value - reference).abs() / (reference.abs() + atol)).max().item() if value.numel() else 0.0
    expect(False, "check_differs", name=name, err=err)


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


def by_hand(fn, name: str, *args):
    """``fn(*args)`` (through :func:`call`), Wrong if it asked autograd for a gradient: for exercises
    whose gradient must be derived by hand."""
    with AutogradSpy() as spy:
        result = call(fn, *args)
    expect(not spy.used, "check_autograd", name=name)
    return result


class DeviceSpy(TorchFunctionMode):
    """``with DeviceSpy() as spy: ...``: ``spy.mixed`` turns True when an operation inside fails
    given tensors on more than one device (a 0-dim CPU tensor aside: torch takes it anywhere, as a
    number): a tensor made on the CPU meeting the images on a GPU, or on the meta device in a check.
    Told by the tensors' devices, never by the words of torch's error."""

    def __init__(self):
        super().__init__()
        self.mixed = False

    def __torch_function__(self, func, types, args=(), kwargs=None):
        try:
            return func(*args, **(kwargs or {}))
        except Exception:
            self.mixed = self.mixed or len(set(_devices([args, kwargs]))) > 1
            raise


def _devices(value):
    """The devices of the tensors in ``value`` (nested lists, tuples and dicts), 0-dim CPU tensors aside."""
    if isinstance(value, torch.Tensor):
        if value.dim() > 0 or value.device.type != "cpu":
            yield value.device
    elif isinstance(value, (list, tuple, dict)):
        for item in value.values() if isinstance(value, dict) else value:
            yield from _devices(item)


def on_meta(fn, name: str, *args) -> None:
    """Call ``fn`` with copies of the networks and tensors of ``args`` on the meta device (shapes, no
    values): a tensor ``fn`` creates on the CPU meets them as it would meet CUDA tensors on a GPU, so a
    CPU-only check catches it (`DeviceSpy`); Wrong with the hint ``check_cpu_tensor`` then. Any other
    failure (an operation meta lacks, ``.item()``) is not the answer's fault and is ignored."""
    meta = torch.device("meta")
    moved = [copy.deepcopy(a).to(meta) if isinstance(a, torch.nn.Module) else a.detach().to(meta)
             if isinstance(a, torch.Tensor) else a for a in args]
    with DeviceSpy() as spy, contextlib.suppress(Exception):
        fn(*moved)
    expect(not spy.mixed, "check_cpu_tensor", name=name)


def outcome(body, *args) -> tuple[bool | None, str]:
    """(True, "Correct: ..."), (False, "Not yet: hint") or (None, "Not answered yet.") of ``body(*args)``,
    in the notebook's language; never raises."""
    try:
        detail = body(*args) or ""
        return True, say("check_plausible" if isinstance(detail, Plausible) else "check_right", detail=detail)
    except NotAnswered:
        return None, say("check_blank")
    except Wrong as e:
        return False, say("check_wrong", hint=e)
    except Exception as e:  # an answer of an unexpected kind (a list instead of a tensor, ...)
        return False, say("check_wrong", hint=say("check_unreadable", error=f"{type(e).__name__}: {e}"))


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
        raise Wrong(say("check_raised", error=error))
    return record.get("value")
