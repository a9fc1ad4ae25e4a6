"""Factories a multi-process lint loads on every rank: the tiny Llama with LoRA, wrapped by DDP or FSDP2.

In one process (no ``WORLD_SIZE``) they return the plain peft model, so one process and two see the same
setup; under ``torchrun`` they join the gloo group as a training script would, then wrap.
"""

from __future__ import annotations

import os
from typing import Any

from tests.tiny_models import llama, lora


def _group() -> Any:
    """torch.distributed once the job's gloo group is joined, None in a single process."""
    if int(os.environ.get("WORLD_SIZE", "1")) <= 1:
        return None
    import torch.distributed as dist

    if not dist.is_initialized():
        dist.init_process_group("gloo")
    return dist


def _dead(model: Any) -> Any:
    """One adapter's output detached in the forward: its lora_A and lora_B never get gradient."""
    layer = model.base_model.model.model.layers[0].self_attn.q_proj
    layer.lora_B["default"].register_forward_hook(lambda module, args, out: out.detach())
    return model


def _leak(model: Any) -> Any:
    """Every parameter made trainable after wrapping: the base weights train too."""
    for p in model.parameters():
        p.requires_grad = True
    return model


def _ddp(model: Any) -> Any:
    if _group() is None:
        return model
    from torch.nn.parallel import DistributedDataParallel

    return DistributedDataParallel(model)


def _fsdp(model: Any) -> Any:
    if _group() is None:
        return model
    from torch.distributed.fsdp import fully_shard

    for block in model.base_model.model.model.layers:
        fully_shard(block)
    fully_shard(model)
    return model


def ddp_clean() -> Any:
    return _ddp(lora(llama()))


def ddp_dead() -> Any:
    return _ddp(_dead(lora(llama())))


def ddp_leak() -> Any:
    return _ddp(_leak(lora(llama())))


def fsdp_clean() -> Any:
    return _fsdp(lora(llama()))


def fsdp_dead() -> Any:
    return _fsdp(_dead(lora(llama())))


def fsdp_leak() -> Any:
    return _fsdp(_leak(lora(llama())))


def seeded_per_rank() -> Any:
    """Each rank builds its adapters under its own seed, and no DDP broadcast aligns them."""
    import torch

    dist = _group()
    model = lora(llama())
    if dist is not None and dist.get_rank() > 0:
        torch.manual_seed(1000 + dist.get_rank())
        for name, p in model.named_parameters():
            if "lora_A" in name:
                torch.nn.init.kaiming_uniform_(p.data, a=5**0.5)
    return model


def grad_on_rank_zero() -> Any:
    """Rank 1 detaches one adapter's output (a rank-dependent code path): it trains on rank 0 only."""
    dist = _group()
    model = lora(llama())
    return _dead(model) if dist is not None and dist.get_rank() > 0 else model


def _rank_from_env() -> int:
    return int(os.environ.get("RANK", "0"))


def fails_on_rank_one() -> Any:
    """Rank 1's factory raises after joining the job's group (its data is missing, say)."""
    dist = _group()
    if dist is not None and dist.get_rank() == 1:
        raise FileNotFoundError("data/shard-1.jsonl is missing on this node")
    return lora(llama())


def fails_before_joining_on_rank_one() -> Any:
    """Rank 1's factory raises before any process group exists; rank 0 leaves joining to lora-lint."""
    if _rank_from_env() == 1:
        raise FileNotFoundError("data/shard-1.jsonl is missing on this node")
    return lora(llama())


def crashes_a_rule_on_rank_one() -> Any:
    """Rank 1 hands over a model one of whose layers cannot list its parameters: a rule crashes there only."""
    dist = _group()
    model = lora(llama())
    if dist is not None and dist.get_rank() == 1:
        def broken(*args: Any, **kwargs: Any) -> Any:
            raise RuntimeError("parameters unavailable on this rank")

        model.base_model.model.model.layers[0].self_attn.q_proj.named_parameters = broken
    return model


def dies_on_rank_one() -> Any:
    """Rank 1's process ends without a word after joining the group (killed, out of memory)."""
    dist = _group()
    if dist is not None and dist.get_rank() == 1:
        os._exit(9)
    return lora(llama())
