"""What runs inside a submission's kernel when it is graded: the launcher, then the answers it hands back.

``grading.py`` starts the kernel with :func:`launch` (limits, the sandbox's data folder, then
IPython's kernel), runs every cell of the submitted notebook as the student would, and then the
cells that hand the answers back: :func:`collect` saves the value answers (and the inputs a check
needs) and :func:`run_question` calls a function answer, as the notebook defines it after its run
(with its helpers, constants and decorators), on each of the grader's inputs and saves what every
call did (:func:`record`). Both write with ``torch.save`` into the folder the grader reads back
(``torch.load(weights_only=True)``, size-capped). Nothing here knows a reference or judges: the
grader compares the records with references it computes in its own process, which never runs
submitted code. Code of the notebook can change what these functions save, but only to values it
computed itself.

An input is a tensor, a number, or a network spec ``{"net": "lecture_utils.MODULE:FUNCTION",
"args": [...], "train": bool, "frozen": bool}``: a public factory that builds the same small network here and in the grader.
A case with ``"device": "meta"`` gets its networks and tensors on the meta device (shapes, no values): a
tensor the function creates on the CPU then fails as it would on a GPU.
"""
from __future__ import annotations

import importlib
import json
import os
import sys
from pathlib import Path

import torch

from .checks import AutogradSpy


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
    """What one call did: returned value (or error), inputs after the call, networks' modes and
    gradients, and whether the call asked autograd for a gradient itself."""
    args = inputs(case)
    for i in case.get("grad", ()):
        if torch.is_tensor(args[i]):
            args[i].requires_grad_(True)
    try:
        with AutogradSpy() as spy:
            result = fn(*args)
    except NotImplementedError:
        return {"status": "not answered"}
    except Exception as e:
        return {"status": "error", "error": f"{type(e).__name__}: {e}"[:300]}
    out = {"status": "ok", "type": type(result).__name__, "requires_grad": bool(getattr(result, "requires_grad", False)),
           "autograd": spy.used,
           "after": [a.detach().clone() if torch.is_tensor(a) else None for a in args],
           "training": [bool(a.training) if isinstance(a, torch.nn.Module) else None for a in args],
           "net_grads": [any(p.grad is not None and bool(p.grad.any()) for p in a.parameters())
                         if isinstance(a, torch.nn.Module) else None for a in args]}
    if torch.is_tensor(result) and result.requires_grad and case.get("grad"):
        out["grads"] = [g.detach() for g in _grad(result, args, case["grad"])]
    out["value"] = result.detach().clone() if torch.is_tensor(result) else (
        float(result) if isinstance(result, (int, float)) and not isinstance(result, bool) else None)
    return out


def run_question(namespace: dict, name: str, cases_path: str, out_path: str) -> None:
    """Call ``namespace[name]`` (the notebook's function after its run) on every case; save the records.
    A name the notebook never defined is recorded as not answered."""
    cases = torch.load(cases_path, weights_only=True)
    fn = namespace.get(name)
    if fn is None:
        records = [{"status": "missing"}] * len(cases)
    elif not callable(fn):
        records = [{"status": "error", "error": f"{name} is a {type(fn).__name__}, not a function"}] * len(cases)
    else:
        records = [record(fn, case) for case in cases]
    torch.save(records, out_path)


def collect(namespace: dict, expressions: dict, out_path: str) -> None:
    """Evaluate each expression ({name: expression}) in the notebook's namespace; save the values
    (an expression that fails is left out: its answer reads as not given)."""
    answers = {}
    for name, expression in expressions.items():
        try:
            answers[name] = eval(expression, namespace)
        except Exception:
            pass
    torch.save(answers, out_path)


def _limit(limits: dict) -> None:
    """setrlimit for this process and everything it starts (``sandbox.Limits``)."""
    import resource   # POSIX only: imported here so that instructor notebooks run on Windows too
    for kind, value in ((resource.RLIMIT_DATA, limits["memory"]), (resource.RLIMIT_CPU, limits["cpu"]),
                        (resource.RLIMIT_FSIZE, limits["file"])):
        resource.setrlimit(kind, (value, value))


def _link_data(mirror: dict) -> None:
    """Inside the sandbox: the data folder's tree, each file a link to the lecturer's read-only copy."""
    seen, data = Path(mirror["seen"]), Path(mirror["data"])
    for folder in mirror["folders"]:
        (data / folder).mkdir(parents=True, exist_ok=True)
    for name in mirror["files"]:
        os.symlink(seen / name, data / name)
    for name, target in mirror["links"].items():     # the lecturer's own links, to folders bound at their paths
        os.symlink(target, data / name)


def launch() -> None:
    """``python -c ... launch.json -f kernel.json``: limits, data folder, then IPython's kernel
    (torch imported first, so that no cell's time limit pays for it)."""
    settings = json.loads(Path(sys.argv.pop(1)).read_text(encoding="utf-8"))
    _limit(settings["limits"])
    if settings["mirror"]:
        _link_data(settings["mirror"])
    from ipykernel import kernelapp
    kernelapp.launch_new_instance()
