"""The probe's per-tensor gradient summaries combined over the ranks of a process group.

Each rank summarises what it holds (a DTensor's local shard, or its own whole copy under DDP) as
(L2 norm, largest magnitude); the ranks then agree on one summary per tensor: a sharded tensor's squared
norms add up, a replicated one's are the same copy (DDP all-reduced it), and the peak is the largest
anywhere. Only these numbers cross ranks, never a gradient.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

from lora_lint.distributed import all_gather, all_reduce, is_distributed, is_sharded

Stats = list[float] | None


def combined(tensors: Sequence[Any], local: Sequence[Stats]) -> list[Stats]:
    """(norm, peak) of each whole tensor from every rank's (norm, peak) of its part; None where no rank had one."""
    if not is_distributed():
        return list(local)
    n = len(local)
    sums: list[float] = []
    peaks: list[float] = []
    for t, s in zip(tensors, local):
        present = 0.0 if s is None else 1.0
        sharded = s is not None and is_sharded(t)
        sums += [present, s[0] ** 2 if sharded and s is not None else 0.0]
        # NaN would not survive a max: a non-finite peak travels as +inf
        peak = -1.0 if s is None else (s[1] if math.isfinite(s[1]) else math.inf)
        peaks += [peak, s[0] if s is not None and not sharded else -1.0]
    sums = all_reduce(sums, "sum")
    peaks = all_reduce(peaks, "max")
    out: list[Stats] = []
    for i in range(n):
        if sums[2 * i] == 0:
            out.append(None)
            continue
        norm = math.sqrt(sums[2 * i + 1]) if peaks[2 * i + 1] < 0 else peaks[2 * i + 1]
        out.append([norm, peaks[2 * i]])
    return out


def ranks_with(flags: Sequence[bool]) -> list[tuple[int, ...]]:
    """For each flag of this rank, the ranks on which it holds (all ranks see the same answer)."""
    if not is_distributed():
        return [(0,) if f else () for f in flags]
    everyone = all_gather([bool(f) for f in flags])
    return [tuple(r for r, mine in enumerate(everyone) if mine[i]) for i in range(len(flags))]
