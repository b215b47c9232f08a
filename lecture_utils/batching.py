"""One batching loop for the whole package: apply a model-sized function to a large set, chunk by chunk."""
from __future__ import annotations

import torch


def in_batches(fn, *tensors: torch.Tensor, batch_size: int, device=None):
    """``fn(*chunks)`` over ``batch_size`` rows of each tensor at a time, moved to ``device``, with no
    gradients; the outputs (a tensor, or a tuple of tensors) concatenated on the CPU.

    >>> in_batches(lambda x: x * 2, torch.ones(5, 3), batch_size=2).shape
    torch.Size([5, 3])
    """
    if batch_size < 1:
        raise ValueError(f"batch_size must be >= 1, got {batch_size}")
    parts = []
    with torch.no_grad():
        for i in range(0, len(tensors[0]), batch_size):
            out = fn(*(t[i:i + batch_size].to(device) for t in tensors))
            parts.append(tuple(o.cpu() for o in out) if isinstance(out, tuple) else out.cpu())
    if parts and isinstance(parts[0], tuple):
        return tuple(torch.cat(p) for p in zip(*parts))
    return torch.cat(parts)
