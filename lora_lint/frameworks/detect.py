"""Which framework wrote a YAML config, recognised from its keys (neither framework marks its files)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

#: the key naming the base model, and keys only that framework's LoRA/training configs use
AXOLOTL_BASE = "base_model"
AXOLOTL_KEYS = frozenset(
    {"adapter", "lora_r", "lora_target_modules", "lora_target_linear", "datasets", "sequence_len", "micro_batch_size"}
)
LLAMAFACTORY_BASE = "model_name_or_path"
LLAMAFACTORY_KEYS = frozenset(
    {"stage", "finetuning_type", "lora_rank", "lora_target", "template", "dataset", "do_train"}
)


def detect(data: Mapping[str, Any]) -> str | None:
    """"axolotl", "llamafactory" or None: the base key plus one of that framework's own keys."""
    keys = set(data)
    if AXOLOTL_BASE in keys and keys & AXOLOTL_KEYS:
        return "axolotl"
    if LLAMAFACTORY_BASE in keys and keys & LLAMAFACTORY_KEYS:
        return "llamafactory"
    return None


def expected_keys() -> str:
    """The keys a config must have to be recognised, for the error that says it was not."""
    ax = ", ".join(sorted(AXOLOTL_KEYS)[:4])
    lf = ", ".join(sorted(LLAMAFACTORY_KEYS)[:4])
    return (
        f"an axolotl config has {AXOLOTL_BASE} and one of {ax}, ...; "
        f"a LLaMA-Factory config has {LLAMAFACTORY_BASE} and one of {lf}, ..."
    )
