"""The process group a lint runs in (torchrun, accelerate launch): rank, world size and small collectives.

Torch is imported only when it already is, or when ``torchrun`` set ``WORLD_SIZE`` above one: a config-only
check in one process never pays for it. Exchanges go through the job's c10d store
(:mod:`lora_lint.rank_exchange`), so they work the same whether the job's default group is NCCL or gloo, a
rank that failed stops the others instead of leaving them in a collective, and they only ever carry small
values (flags, norms, fingerprints, findings), never weights.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Sequence
from typing import Any, TypeVar

T = TypeVar("T")

def _dist() -> Any:
    """``torch.distributed`` when this process may be one of several, else None (torch left unimported)."""
    if "torch" not in sys.modules and int(os.environ.get("WORLD_SIZE", "1")) <= 1:
        return None
    import torch.distributed as dist

    return dist if dist.is_available() else None


def is_distributed() -> bool:
    """An initialised process group of more than one process."""
    dist = _dist()
    return bool(dist is not None and dist.is_initialized() and dist.get_world_size() > 1)


def rank() -> int:
    """This process's rank in the default group (0 outside a group)."""
    return int(_dist().get_rank()) if is_distributed() else 0


def world_size() -> int:
    return int(_dist().get_world_size()) if is_distributed() else 1


def join_launch_group() -> None:
    """Under ``torchrun`` (``WORLD_SIZE`` > 1) with no group yet, join the job's group (gloo on CPU).

    Called after the targets are loaded, so a factory that initialises its own group (NCCL, a timeout)
    keeps it; called on every rank at the same point, as any collective must be.
    """
    dist = _dist()
    if dist is None or dist.is_initialized() or int(os.environ.get("WORLD_SIZE", "1")) <= 1:
        return
    if "MASTER_ADDR" in os.environ:
        dist.init_process_group("gloo")


def all_gather(value: T) -> list[T]:
    """``value`` of every rank, in rank order (``[value]`` outside a group): a pickled, small object."""
    if not is_distributed():
        return [value]
    from lora_lint.rank_exchange import exchange

    return exchange(value)


def all_arrived() -> None:
    """Wait until every rank reached this step; a rank that stopped before it stops this one too."""
    all_gather(None)


def all_reduce(values: Sequence[float], op: str = "sum") -> list[float]:
    """Element-wise ``sum`` or ``max`` of equal-length float lists over every rank, combined in rank order
    so that every rank gets the same numbers."""
    if not is_distributed() or not values:
        return list(values)
    everyone = all_gather([float(v) for v in values])
    if op == "max":
        return [max(column) for column in zip(*everyone)]
    return [sum(column, 0.0) for column in zip(*everyone)]


def agreed_exit_code(code: int) -> int:
    """The highest exit status of any rank, so every rank of the job exits alike."""
    return int(all_reduce([float(code)], "max")[0])


# -- tensors through the sharding ------------------------------------------------------------------


def is_sharded(tensor: Any) -> bool:
    """Each rank holds only a part: an FSDP2 DTensor with a ``Shard`` placement, or a ZeRO-3 partition."""
    if hasattr(tensor, "ds_shape"):
        return True
    placements = getattr(tensor, "placements", None)
    return placements is not None and any(p.is_shard() for p in placements)


def local_data(tensor: Any) -> Any:
    """What this rank holds of ``tensor``: a DTensor's local shard, a ZeRO-3 partition, or the tensor itself."""
    if hasattr(tensor, "ds_tensor"):  # DeepSpeed ZeRO-3 internal: the rank's flat partition
        return tensor.ds_tensor
    if hasattr(tensor, "to_local") and hasattr(tensor, "placements"):
        return tensor.to_local()
    return tensor


def global_shape(tensor: Any) -> tuple[int, ...]:
    """The whole tensor's shape: a DTensor's ``.shape`` is global already; ZeRO-3 keeps it in ``ds_shape``."""
    shape = getattr(tensor, "ds_shape", None)  # DeepSpeed ZeRO-3 internal: ``param.shape`` is (0,)
    return tuple(int(d) for d in (shape if shape is not None else tensor.shape))


def unwrap_data_parallel(model: Any) -> Any:
    """The module inside ``DistributedDataParallel`` (a DeepSpeed engine): facts speak of the user's model."""
    if model is None or "torch" not in sys.modules:
        return model
    from torch.nn.parallel import DistributedDataParallel

    if isinstance(model, DistributedDataParallel) or type(model).__name__ == "DeepSpeedEngine":
        return model.module
    return model
