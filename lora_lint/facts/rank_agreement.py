"""Whether the processes of one job agree: adapters trained on every rank, the same adapter weights everywhere.

Only small values cross ranks: per adapter, the ranks where it got gradient (from the probe), and a
fingerprint (float64 sum and sum of squares) of each replicated adapter tensor. Sharded tensors (FSDP2,
ZeRO-3) hold different parts on each rank by design and are not compared.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from lora_lint.distributed import all_gather, is_distributed, is_sharded, local_data, world_size

if TYPE_CHECKING:
    from lora_lint.context import RuleContext


@dataclass(frozen=True)
class PartialGrad:
    """An adapter on one layer that got gradient on some ranks only."""

    layer: str
    adapter: str
    ranks_with_grad: tuple[int, ...]


@dataclass(frozen=True)
class RankAgreement:
    """What the ranks of the job disagree on (nothing, in one process)."""

    world_size: int = 1
    partial_grads: tuple[PartialGrad, ...] = ()
    #: adapter parameters (full names) whose values differ between ranks
    differing_weights: tuple[str, ...] = ()


def collect_rank_agreement(ctx: RuleContext) -> RankAgreement:
    """Compare the ranks (a prepared ``Setup.ranks`` is taken as it is)."""
    if ctx.setup.ranks is not None:
        return ctx.setup.ranks
    if not is_distributed():
        return RankAgreement()
    world = world_size()
    differing = _differing_weights(ctx)
    partial: list[PartialGrad] = []
    probe = ctx.probe if ctx.settings.probe else None
    for slot in probe.slots if probe is not None else ():
        got = slot.ranks_with_grad
        if got is not None and 0 < len(got) < world:
            partial.append(PartialGrad(slot.layer, slot.adapter, got))
    return RankAgreement(world, tuple(partial), differing)


def _differing_weights(ctx: RuleContext) -> tuple[str, ...]:
    import torch

    model = ctx.setup.model
    params = dict(model.named_parameters()) if model is not None else {}
    names = [n for slot in ctx.layers.slots() for n in (slot.a_param, slot.b_param) if n is not None and n in params]
    names = [n for n in names if not is_sharded(params[n]) and not params[n].is_meta]
    prints: list[tuple[float, float]] = []
    with torch.no_grad():
        for n in names:
            t: Any = local_data(params[n]).detach().to(torch.float64)
            prints.append((float(t.sum()), float(t.pow(2).sum())))
    everyone = all_gather(prints)
    return tuple(n for i, n in enumerate(names) if len({rank_prints[i] for rank_prints in everyone}) > 1)
