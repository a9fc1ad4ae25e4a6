"""Real launch configuration files (accelerate YAML, DeepSpeed JSON) as users write them, and setups carrying them."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from lora_lint.context import Setup
from lora_lint.facts.launch import LaunchFacts, read_launch


def accelerate_fsdp(folder: Path, *, orig_params: bool = False, policy: str = "TRANSFORMER_BASED_WRAP",
                    version: int = 1, layer_cls: str | None = "LlamaDecoderLayer", processes: int = 2) -> Path:
    """An ``accelerate config`` FSDP file in the shape ``accelerate config`` writes."""
    lines = [
        "compute_environment: LOCAL_MACHINE",
        "distributed_type: FSDP",
        "fsdp_config:",
        f"  fsdp_auto_wrap_policy: {policy}",
        "  fsdp_backward_prefetch: BACKWARD_PRE",
        "  fsdp_sharding_strategy: FULL_SHARD",
        "  fsdp_state_dict_type: SHARDED_STATE_DICT",
        f"  fsdp_use_orig_params: {str(orig_params).lower()}",
        f"  fsdp_version: {version}",
    ]
    if layer_cls is not None:
        lines.append(f"  fsdp_transformer_layer_cls_to_wrap: {layer_cls}")
    lines += ["machine_rank: 0", "mixed_precision: bf16", "num_machines: 1", f"num_processes: {processes}"]
    path = folder / "fsdp.yaml"
    path.write_text("\n".join(lines) + "\n")
    return path


def accelerate_multi_gpu(folder: Path, processes: int = 2) -> Path:
    path = folder / "ddp.yaml"
    path.write_text(
        "compute_environment: LOCAL_MACHINE\ndistributed_type: MULTI_GPU\nmachine_rank: 0\n"
        f"mixed_precision: bf16\nnum_machines: 1\nnum_processes: {processes}\n"
    )
    return path


def deepspeed_json(folder: Path, **zero: Any) -> Path:
    """A ZeRO config as the DeepSpeed docs and the HF integration write it ("auto" where the Trainer fills in)."""
    config = {
        "bf16": {"enabled": "auto"},
        "zero_optimization": {"stage": 3, "overlap_comm": True, "contiguous_gradients": True, **zero},
        "gradient_accumulation_steps": "auto",
        "train_micro_batch_size_per_gpu": "auto",
    }
    path = folder / "ds_zero3.json"
    path.write_text(json.dumps(config, indent=2))
    return path


def launched(target: str, model: Any = None, launch: LaunchFacts | None = None, **files: Path) -> Setup:
    """A setup carrying the launch facts of ``files`` (read with an empty environment)."""
    facts = launch if launch is not None else read_launch(environ={}, **files)
    return Setup(target=target, model=model, launch=facts)
