"""An axolotl YAML config -> the LoraConfig axolotl builds.

Semantics followed: axolotl 0.8-0.10 (``utils/schemas/peft.py`` for the keys and their defaults,
``loaders/adapter.py`` ``load_lora`` for how they become a ``LoraConfig``):
- ``adapter: lora`` or ``qlora``; anything else (or none) is not a LoRA run.
- ``lora_target_modules`` is passed to peft as written: a list, or one string (a regex peft
  full-matches). ``lora_target_linear: true`` adds the last name of every linear layer except the
  output embedding (``lm_head``; ``embed_out`` on GPT-NeoX), merged with the explicit names.
- ``lora_dropout`` defaults to 0.0, ``bias`` is always "none", ``task_type`` is CAUSAL_LM.
- ``lora_modules_to_save``, ``peft_layers_to_transform``, ``peft_layers_pattern``,
  ``lora_fan_in_fan_out``, ``peft_use_rslora``, ``peft_use_dora``, ``peft_init_lora_weights``,
  ``peft_layer_replication`` map to the LoraConfig field of the same meaning.
- ``adapter: qlora`` requires ``load_in_4bit: true`` (axolotl refuses otherwise); ``load_in_8bit``
  loads the base in 8-bit.
Unknown keys are left alone, as axolotl's schema leaves extra keys alone.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from lora_lint.frameworks.spec import AllLinear, FrameworkLora

#: axolotl key -> LoraConfig field, passed through when set
_PASSED = {
    "lora_r": "r",
    "lora_alpha": "lora_alpha",
    "lora_modules_to_save": "modules_to_save",
    "peft_layers_to_transform": "layers_to_transform",
    "peft_layers_pattern": "layers_pattern",
    "lora_fan_in_fan_out": "fan_in_fan_out",
    "peft_use_rslora": "use_rslora",
    "peft_use_dora": "use_dora",
    "peft_init_lora_weights": "init_lora_weights",
    "peft_layer_replication": "layer_replication",
}

#: axolotl's get_linear_embedding_layers: the output embedding it keeps out of lora_target_linear
AXOLOTL_ALL_LINEAR = AllLinear(skip_names=("lm_head",), by_model_type={"gpt_neox": ("embed_out",)})


def map_axolotl(data: Mapping[str, Any], lines: Mapping[str, int]) -> FrameworkLora:
    """The LoRA setup axolotl would build from this config (no axolotl import needed)."""
    base = data.get("base_model_config") or data.get("base_model")
    revision = data.get("revision_of_model")
    common: dict[str, Any] = {
        "framework": "axolotl",
        "base_model": str(base) if base else None,
        "revision": str(revision) if revision else None,
        "lines": dict(lines),
        "base_key": "base_model_config" if data.get("base_model_config") else "base_model",
    }
    adapter = str(data.get("adapter") or "").lower()
    if adapter not in ("lora", "qlora"):
        why = f"adapter: {adapter}" if adapter else "no adapter key"
        return FrameworkLora(kwargs={}, not_lora=f"{why}: axolotl trains no LoRA adapter here", **common)
    keys: dict[str, str] = {}
    kwargs: dict[str, Any] = {"task_type": "CAUSAL_LM", "bias": "none", "lora_dropout": 0.0}
    notes: list[str] = []
    for key, field in _PASSED.items():
        value = data.get(key)
        if value is not None and not (field == "modules_to_save" and not value):
            kwargs[field] = value
            keys[field] = key
    if data.get("lora_dropout") is not None:
        kwargs["lora_dropout"] = data["lora_dropout"]
        keys["lora_dropout"] = "lora_dropout"
    for required in ("lora_r", "lora_alpha"):
        if data.get(required) is None:
            notes.append(f"{required} is not set: peft's default applies ({'r=8' if required == 'lora_r' else 'lora_alpha=8'})")
    targets = data.get("lora_target_modules")
    all_linear = AXOLOTL_ALL_LINEAR if data.get("lora_target_linear") else None
    if targets:
        kwargs["target_modules"] = [targets] if isinstance(targets, str) and all_linear else targets
        keys["target_modules"] = "lora_target_modules"
    elif all_linear is not None:
        keys["target_modules"] = "lora_target_linear"
    bits = None
    if adapter == "qlora":
        bits = 4
        if not data.get("load_in_4bit"):
            notes.append("adapter: qlora without load_in_4bit: true; axolotl refuses this config (set load_in_4bit: true)")
    elif data.get("load_in_8bit"):
        bits = 8
    elif data.get("load_in_4bit"):
        bits = 4
    return FrameworkLora(kwargs=kwargs, all_linear=all_linear, bits=bits, keys=keys, notes=tuple(notes), **common)
