"""Gradient statistics the probe reads per tensor: L2 norm and peak, reduced per device in one sync."""

from __future__ import annotations

import math
from typing import Any

from lora_lint.probe.result import ABSENT, Grad, GradKind


def reduced(tensors: list[Any], reduce: Any) -> list[list[float] | None]:
    """``reduce(t)`` (a 1-D float32 tensor) for each tensor, gathered per device so each device syncs once."""
    import torch

    out: list[list[float] | None] = [None] * len(tensors)
    by_device: dict[Any, list[int]] = {}
    for i, t in enumerate(tensors):
        if t is not None and not t.is_meta:
            by_device.setdefault(t.device, []).append(i)
    for indices in by_device.values():
        with torch.no_grad():
            values = torch.stack([reduce(tensors[i]) for i in indices]).tolist()
        for i, value in zip(indices, values):
            out[i] = value
    return out


def grad_norms(grad: Any) -> Any:
    """(L2 norm, largest magnitude) of a gradient as one float32 tensor; zeros for an empty shard."""
    import torch

    g = grad.coalesce().values() if grad.is_sparse else grad
    if g.numel() == 0:  # an empty shard of this rank
        return torch.zeros(2, dtype=torch.float32, device=g.device)
    return torch.stack(
        [
            torch.linalg.vector_norm(g, dtype=torch.float32),
            torch.linalg.vector_norm(g, ord=float("inf"), dtype=torch.float32),
        ]
    )


def peak(tensor: Any) -> Any:
    """The largest magnitude of a tensor, as a one-element float32 tensor."""
    import torch

    if tensor.numel() == 0:
        return torch.zeros(1, dtype=torch.float32, device=tensor.device)
    return torch.linalg.vector_norm(tensor, ord=float("inf"), dtype=torch.float32).reshape(1)


def grad_of(values: list[float] | None) -> Grad:
    """Kind and norm from (L2 norm, largest magnitude): NaN/Inf anywhere makes the peak non-finite."""
    if values is None:
        return ABSENT
    norm, peak = values
    if not math.isfinite(peak):
        return Grad(GradKind.NONFINITE, norm)
    if peak == 0:
        return Grad(GradKind.ZERO, 0.0)
    return Grad(GradKind.FINITE, norm)
