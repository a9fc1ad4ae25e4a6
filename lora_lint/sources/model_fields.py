"""Refuse a base model's config.json whose sizes or names transformers cannot build from, before it tries.

transformers reads config.json loosely: a string ``hidden_size`` or a list ``model_type`` fails deep in a
model's ``__init__``, and 20,000 layers build for minutes even on the meta device. Each check here is
one line naming the field, the value and what is expected (exit 2).
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from lora_lint.errors import SetupLoadError
from lora_lint.sources.lora_fields import kind_of, shown

#: size fields (any model family's spelling) -> the largest value built; real models stay far below
SIZE_LIMITS = {
    "num_hidden_layers": 1024, "n_layer": 1024, "num_layers": 1024,
    "hidden_size": 2**17, "n_embd": 2**17, "d_model": 2**17,
    "intermediate_size": 2**19, "n_inner": 2**19, "d_ff": 2**19,
    "num_attention_heads": 2**12, "n_head": 2**12, "num_heads": 2**12, "num_key_value_heads": 2**12,
    "vocab_size": 2**23, "num_local_experts": 2**12, "num_experts": 2**12,
}  # fmt: skip
#: torch dtypes a config may name (transformers reads ``torch_dtype``/``dtype`` as torch attribute names)
DTYPES = frozenset({"float32", "float16", "bfloat16", "float64", "float", "half", "double", "auto",
                    "float8_e4m3fn", "float8_e5m2", "int8", "uint8"})  # fmt: skip


def _fail(path: Path, field: str, what: str, value: object) -> SetupLoadError:
    return SetupLoadError(str(path), f"{field} must be {what}, got {shown(value)}")


def check_model_fields(data: Mapping[str, Any], path: Path) -> None:
    """One exit-2 line for the first field of ``data`` (a config.json) no model could be built from."""
    model_type = data.get("model_type")
    if "model_type" in data and not isinstance(model_type, str):
        raise _fail(path, "model_type", "a string (e.g. 'llama')", model_type)
    archs = data.get("architectures")
    if archs is not None and not (isinstance(archs, list) and all(isinstance(a, str) for a in archs)):
        raise _fail(path, "architectures", "a list of model class names", archs)
    for field, limit in SIZE_LIMITS.items():
        if field not in data or (data[field] is None and field not in ("hidden_size", "num_hidden_layers")):
            continue
        value = data[field]
        if kind_of(value) != "int" or value <= 0:
            raise _fail(path, field, "a positive integer", value)
        if value > limit:
            raise SetupLoadError(str(path), f"{field} is {value:,}; lora-lint builds models up to {limit:,}")
    hidden, heads = data.get("hidden_size"), data.get("num_attention_heads")
    if isinstance(hidden, int) and isinstance(heads, int) and "head_dim" not in data and hidden % heads:
        raise SetupLoadError(str(path), f"num_attention_heads ({heads}) does not divide hidden_size ({hidden})")
    for field in ("torch_dtype", "dtype"):
        value = data.get(field)
        if value is not None and (not isinstance(value, str) or value.replace("torch.", "") not in DTYPES):
            raise _fail(path, field, "a torch dtype name such as 'bfloat16' or 'float32'", value)
    rope = data.get("rope_scaling")
    if rope is not None and not isinstance(rope, dict):
        raise _fail(path, "rope_scaling", "a mapping or null", rope)


def check_architecture(cls: Any, config: Any, arch: str, path: Path) -> None:
    """The class ``architectures`` names must be a model class for this config's model type."""
    config_class = getattr(cls, "config_class", None)
    if not isinstance(cls, type) or config_class is None or not hasattr(cls, "_from_config"):
        raise SetupLoadError(str(path), f"architectures names {arch}, which is not a transformers model class")
    if not isinstance(config, config_class):
        theirs = getattr(config_class, "model_type", "?")
        raise SetupLoadError(
            str(path), f"architectures names {arch}, a {theirs} model, but model_type is {getattr(config, 'model_type', '?')}"
        )
