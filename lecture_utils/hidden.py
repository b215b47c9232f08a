"""How a hidden check runs an answer: in the grader's kernel (``lecture_tools.answer_runner``) and, the
same way, in an instructor notebook, which has only this package (``local_verdict``).

A hidden check (a ``# HIDDEN CHECKS`` cell of ``notebooks/src``, built into ``notebooks/grading/*.json``)
gives ``cases()``, the inputs of each call, and ``judge(records, cases)``, which compares what
:func:`record` saw with references it computes itself; a value question gives ``judge(answer,
collected, reference)``. An input is a tensor, a number, or a network spec ``{"net":
"lecture_utils.MODULE:FUNCTION", "args": [...], "train": bool, "frozen": bool}``: a public factory
that builds the same small network in the kernel and in the grader (:func:`build_net`). A case with
``"device": "meta"`` gets its networks and tensors on the meta device (shapes, no values): a tensor
the function creates on the CPU then fails as it would on a GPU, which the record says
(``mixed_devices``, from ``checks.DeviceSpy``).
"""
from __future__ import annotations

import importlib

import torch

from .checks import AutogradSpy, DeviceSpy, outcome


def build_net(spec: dict) -> torch.nn.Module:
    """The network of a spec, from a factory inside lecture_utils (nothing else is imported)."""
    module, _, name = spec["net"].partition(":")
    if not module.startswith("lecture_utils."):
        raise ValueError(f"not a lecture_utils factory: {spec['net']}")
    net = getattr(importlib.import_module(module), name)(*spec.get("args", ()))
    return net.train(bool(spec.get("train", False))).requires_grad_(not spec.get("frozen", False))


def inputs(case: dict) -> list:
    """The arguments of one call: network specs built, tensors cloned (the case stays the grader's),
    both moved to the case's ``device`` if it names one."""
    args = [build_net(a) if isinstance(a, dict) and "net" in a else a.clone() if torch.is_tensor(a) else a
            for a in case["args"]]
    device = case.get("device")
    return [a.to(device) if device and isinstance(a, (torch.nn.Module, torch.Tensor)) else a for a in args]


def _grad(result, args, wanted) -> list:
    """d(sum of result)/d(arg) for each wanted arg: a tensor's own gradient, a network's flattened one."""
    targets = [list(args[i].parameters()) if isinstance(args[i], torch.nn.Module) else [args[i]] for i in wanted]
    flat = [t for group in targets for t in group]
    grads = torch.autograd.grad(result.sum(), flat, allow_unused=True)
    out, k = [], 0
    for group in targets:
        out.append(torch.cat([(g if g is not None else torch.zeros_like(t)).flatten()
                              for g, t in zip(grads[k:k + len(group)], group)]))
        k += len(group)
    return out


def record(fn, case: dict) -> dict:
    """What one call did: returned value (or error, and whether an operation failed on tensors of
    different devices), inputs after the call, networks' modes and gradients, and whether the call
    asked autograd for a gradient itself."""
    args = inputs(case)
    for i in case.get("grad", ()):
        if torch.is_tensor(args[i]):
            args[i].requires_grad_(True)
    try:
        with AutogradSpy() as spy, DeviceSpy() as devices:
            result = fn(*args)
    except NotImplementedError:
        return {"status": "not answered"}
    except Exception as e:
        return {"status": "error", "error": f"{type(e).__name__}: {e}"[:300], "mixed_devices": devices.mixed}
    out = {"status": "ok", "type": type(result).__name__, "requires_grad": bool(getattr(result, "requires_grad", False)),
           "autograd": spy.used, "mixed_devices": devices.mixed,
           "after": [a.detach().clone() if torch.is_tensor(a) else None for a in args],
           "training": [bool(a.training) if isinstance(a, torch.nn.Module) else None for a in args],
           "net_grads": [any(p.grad is not None and bool(p.grad.any()) for p in a.parameters())
                         if isinstance(a, torch.nn.Module) else None for a in args]}
    if torch.is_tensor(result) and result.requires_grad and case.get("grad"):
        out["grads"] = [g.detach() for g in _grad(result, args, case["grad"])]
    out["value"] = result.detach().clone() if torch.is_tensor(result) else (
        float(result) if isinstance(result, (int, float)) and not isinstance(result, bool) else None)
    return out


def expressions(question: dict, namespace: dict) -> dict:
    """{name: expression} a value question collects from the notebook (its answer and ``COLLECT``);
    {} for a function question."""
    return {question["value"]: question["value"], **namespace.get("COLLECT", {})} if "value" in question else {}


def evaluated(namespace: dict, wanted: dict) -> dict:
    """{name: value} of each expression of ``wanted`` ({name: expression}) in the notebook's
    ``namespace``; one that fails is left out (its answer reads as not given)."""
    values = {}
    for name, expression in wanted.items():
        try:
            values[name] = eval(expression, namespace)
        except Exception:
            pass
    return values


def local_verdict(namespace: dict, kind: str, name: str) -> bool:
    """The hidden check of the cell just run, in this process (instructor notebooks): True if it passes."""
    if kind == "function":
        cases = namespace["cases"]()
        records = [record(namespace[name], case) for case in cases]
        return outcome(namespace["judge"], records, cases)[0] is True
    collected = evaluated(namespace, expressions({"value": name}, namespace))
    reference = namespace["reference"]() if "reference" in namespace else None
    return outcome(namespace["judge"], collected.get(name), collected, reference)[0] is True
