"""An axolotl YAML config -> the LoraConfig axolotl builds.

Semantics followed: axolotl v0.18.0 (read at commit 067b021, 2026-07-24): ``src/axolotl/utils/schemas/peft.py``
for the keys and their defaults, ``src/axolotl/loaders/adapter.py`` (``_build_peft_lora_config``,
``_build_lora_config_kwargs``, ``find_all_linear_names``, ``load_lora``) for how they become a ``LoraConfig``,
``src/axolotl/loaders/utils.py`` ``get_linear_embedding_layers`` for what ``lora_target_linear`` leaves out:
- ``adapter: lora`` or ``qlora``; anything else (or none) is not a LoRA run.
- ``lora_r`` and ``lora_alpha`` have no default: axolotl passes ``r=None`` / ``lora_alpha=None`` to peft,
  which then fails while building the layers (reported as peft refusing the config).
- ``lora_target_modules`` is passed to peft as written: a list, or one string (a regex peft
  full-matches). ``lora_target_linear: true`` adds the last name of every module that is a
  ``Linear`` (class name says ``Linear``, except ``LlamaLinearScalingRotaryEmbedding``), less the output
  embedding of the model type (``lm_head``; ``embed_out`` on GPT-NeoX), merged with the explicit names.
- ``lora_dropout`` defaults to 0.0, ``bias`` is always "none", ``task_type`` is CAUSAL_LM for causal LMs.
- Passed as written: ``lora_target_parameters``, ``lora_modules_to_save`` (when not empty),
  ``peft_layers_to_transform``, ``peft_layers_pattern``, ``lora_fan_in_fan_out``. Passed only when truthy,
  as axolotl does: ``peft_use_rslora``, ``peft_use_dora``, ``peft_init_lora_weights``, ``lora_rank_pattern``,
  ``lora_alpha_pattern``, ``peft_layer_replication``, ``peft_trainable_token_indices``;
  ``peft_ensure_weight_tying`` when set at all.
- Since v0.17 axolotl lets peft's ``ParamWrapper`` (fused MoE experts that peft reaches through
  ``target_parameters`` after converting ``target_modules``) run with no dropout instead of refusing
  ``lora_dropout != 0``; an explicit ``lora_target_parameters`` with dropout it refuses itself.
- ``adapter: qlora`` requires ``load_in_4bit: true`` (axolotl refuses otherwise); ``load_in_8bit``
  loads the base in 8-bit.
Unknown keys are left alone, as axolotl's schema leaves extra keys alone.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from lora_lint.frameworks.spec import AllLinear, FrameworkLora

#: axolotl key -> LoraConfig field, passed through when set (not None)
_PASSED = {
    "lora_r": "r",
    "lora_alpha": "lora_alpha",
    "lora_target_parameters": "target_parameters",
    "lora_modules_to_save": "modules_to_save",
    "peft_layers_to_transform": "layers_to_transform",
    "peft_layers_pattern": "layers_pattern",
    "lora_fan_in_fan_out": "fan_in_fan_out",
    "peft_ensure_weight_tying": "ensure_weight_tying",
}
#: axolotl key -> LoraConfig field, passed only when truthy (``if cfg.key:`` in _build_lora_config_kwargs)
_WHEN_TRUTHY = {
    "peft_use_rslora": "use_rslora",
    "peft_use_dora": "use_dora",
    "peft_init_lora_weights": "init_lora_weights",
    "lora_rank_pattern": "rank_pattern",
    "lora_alpha_pattern": "alpha_pattern",
    "peft_layer_replication": "layer_replication",
    "peft_trainable_token_indices": "trainable_token_indices",
}

#: axolotl's get_linear_embedding_layers: the output embedding it keeps out of lora_target_linear
AXOLOTL_ALL_LINEAR = AllLinear(
    skip_names=("lm_head",),
    by_model_type={"gpt_neox": ("embed_out",), "falcon": ("lm_head",), "nemotron_h": ("lm_head",)},
    skip_classes=("LlamaLinearScalingRotaryEmbedding",),
    linear_subclasses=True,
)


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
        if value is not None and not (field in ("modules_to_save", "target_parameters") and not value):
            kwargs[field] = value
            keys[field] = key
    for key, field in _WHEN_TRUTHY.items():
        if data.get(key):
            kwargs[field] = data[key]
            keys[field] = key
    if data.get("lora_dropout") is not None:
        kwargs["lora_dropout"] = data["lora_dropout"]
        keys["lora_dropout"] = "lora_dropout"
    # axolotl passes None for an unset lora_r / lora_alpha; peft fails on it when it builds the layers
    unset = tuple(key for key in ("lora_r", "lora_alpha") if data.get(key) is None)
    keys.update({("r" if key == "lora_r" else key): key for key in unset})
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
        if data.get("load_in_8bit"):
            notes.append("adapter: qlora with load_in_8bit: true; axolotl refuses this config (\"Can't load qlora in 8bit\")")
    elif data.get("load_in_8bit"):
        bits = 8
    elif data.get("load_in_4bit"):
        bits = 4
    if data.get("peft") and isinstance(data["peft"], Mapping) and data["peft"].get("loftq_config"):
        notes.append("peft.loftq_config (LoftQ initialisation) is not reproduced; the rest of the config is checked")
    return FrameworkLora(
        kwargs=kwargs,
        all_linear=all_linear,
        bits=bits,
        keys=keys,
        notes=tuple(notes),
        unset=unset,
        expert_dropout_waived=not data.get("lora_target_parameters"),
        **common,
    )
