"""peft's transformers-5 rewrite of MoE targets: expert layer names become fused ``target_parameters``."""

from __future__ import annotations

import copy
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Conversion:
    """A config as peft will use it on this base, and which written targets peft rewrote."""

    #: the config after peft's rewrite (a converted copy), or the original when nothing applies
    config: Any
    #: target_modules entry as written -> the target_parameters name peft turned it into (``w1`` -> ``gate_up_proj``)
    renamed: Mapping[str, str] = field(default_factory=dict)
    #: peft's refusal, e.g. ``w1`` targeted without ``w3`` although both are fused into ``gate_up_proj``
    error: str | None = None

    @property
    def target_parameters(self) -> tuple[str, ...]:
        value = getattr(self.config, "target_parameters", None) or ()
        return (value,) if isinstance(value, str) else tuple(sorted(value))


def peft_conversion(config: Any, base: Any) -> Conversion:
    """Apply peft's own v4 -> v5 MoE target conversion to a copy of ``config``, as ``inject_adapter`` does.

    Under transformers 5, peft rewrites Mixtral's ``w1``/``w2``/``w3`` and Qwen-MoE's expert
    ``gate_proj``/``up_proj``/``down_proj`` (and ``all-linear``) into ``target_parameters`` on the fused
    expert tensors. A live PeftModel's config is already converted; a config from a file is not.
    """
    try:
        # peft internal: BaseTuner.inject_adapter calls these before matching (peft >= 0.19 with transformers 5).
        from peft.import_utils import is_transformers_ge_v5
        from peft.utils.transformers_weight_conversion import (
            _MODEL_TO_CONVERSION_PATTERN,
            _MOE_TARGET_MODULE_MAPPING,
            convert_peft_config_for_transformers,
            get_model_conversion_mapping,
        )
    except ImportError:
        return Conversion(config)
    model_type = getattr(getattr(base, "config", None), "model_type", None)
    if not is_transformers_ge_v5 or model_type is None:
        return Conversion(config)
    mapping: Mapping[str, str] = _MOE_TARGET_MODULE_MAPPING.get(_MODEL_TO_CONVERSION_PATTERN.get(model_type, ""), {})
    clone = copy.deepcopy(config)
    try:
        convert_peft_config_for_transformers(clone, model=base, conversions=get_model_conversion_mapping(base))
    except ValueError as exc:
        # peft refuses (w1 without w3): the entries it would rewrite are explained by the refusal
        return Conversion(config, _renamed(config.target_modules, None, mapping), str(exc))
    if _same_targets(config, clone):
        return Conversion(config)
    return Conversion(clone, _renamed(config.target_modules, clone.target_modules, mapping))


def _renamed(written: Any, kept: Any, mapping: Mapping[str, str]) -> dict[str, str]:
    renamed: dict[str, str] = {}
    if not written or isinstance(written, str):
        return renamed
    for entry in written:
        if kept is not None and entry in kept:
            continue
        old = next((o for o in mapping if entry == o or entry.endswith(f".{o}")), None)
        if old is not None:
            renamed[entry] = mapping[old]
    return renamed


def _same_targets(a: Any, b: Any) -> bool:
    def norm(value: Any) -> Any:
        return value if isinstance(value, str) else frozenset(value or ())

    same_modules = norm(a.target_modules) == norm(b.target_modules)
    return bool(same_modules and norm(getattr(a, "target_parameters", None)) == norm(getattr(b, "target_parameters", None)))
