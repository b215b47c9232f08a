"""Call a student's function on the grader's inputs in a fresh interpreter and record what it returned.

The grader starts this module as ``python -I -c ...`` in an empty temporary folder, one process per
question and submission (``grading.function_records``). It knows no reference answer and judges
nothing: it loads the inputs (``torch.load(weights_only=True)``), runs the ``def`` and ``import``
statements of the submitted notebook in a fresh namespace, calls the function once per input and
saves, per call, the returned value and what the call did to its inputs. The grader compares those
records with the references in its own process, which never runs submitted code; so a submission
that patches builtins, torch or this module here can only change its own answers.

An input is a tensor, a number, or a network spec ``{"net": "lecture_utils.MODULE:FUNCTION",
"args": [...], "train": bool, "frozen": bool}``: a public factory that builds the same small network here and in the grader.
A case with ``"device": "meta"`` gets its networks and tensors on the meta device (shapes, no values): a
tensor the function creates on the CPU then fails as it would on a GPU.
"""
from __future__ import annotations

import ast
import importlib

import torch


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


def definitions(source: str) -> str:
    """The top-level ``def``, ``import`` and ``from ... import`` statements of the notebook's code."""
    kinds = (ast.FunctionDef, ast.Import, ast.ImportFrom)
    return "\n\n".join(ast.get_source_segment(source, node) for node in ast.parse(source).body
                       if isinstance(node, kinds))


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
    """What one call did: returned value (or error), inputs after the call, networks' modes and gradients."""
    args = inputs(case)
    for i in case.get("grad", ()):
        if torch.is_tensor(args[i]):
            args[i].requires_grad_(True)
    try:
        result = fn(*args)
    except NotImplementedError:
        return {"status": "not answered"}
    except Exception as e:
        return {"status": "error", "error": f"{type(e).__name__}: {e}"[:300]}
    out = {"status": "ok", "type": type(result).__name__, "requires_grad": bool(getattr(result, "requires_grad", False)),
           "after": [a.detach().clone() if torch.is_tensor(a) else None for a in args],
           "training": [bool(a.training) if isinstance(a, torch.nn.Module) else None for a in args],
           "net_grads": [any(p.grad is not None and bool(p.grad.any()) for p in a.parameters())
                         if isinstance(a, torch.nn.Module) else None for a in args]}
    if torch.is_tensor(result) and result.requires_grad and case.get("grad"):
        out["grads"] = [g.detach() for g in _grad(result, args, case["grad"])]
    out["value"] = result.detach().clone() if torch.is_tensor(result) else (
        float(result) if isinstance(result, (int, float)) and not isinstance(result, bool) else None)
    return out


def main(source_path: str, name: str, cases_path: str, out_path: str) -> None:
    """Run ``name`` from the notebook source on every case; save the records to ``out_path``."""
    cases = torch.load(cases_path, weights_only=True)
    namespace = {"__name__": "__submission__"}
    try:
        exec(compile(definitions(open(source_path, encoding="utf-8").read()), "submission", "exec"), namespace)
        fn = namespace[name]
    except Exception as e:
        torch.save([{"status": "error", "error": f"{type(e).__name__}: {e}"[:300]}] * len(cases), out_path)
        return
    torch.save([record(fn, case) for case in cases], out_path)

