"""bitsandbytes k-bit weights, layers and bases, recognised without importing bitsandbytes (it is optional).

One home for "is this quantized": the parameter facts, the training facts and the placement facts
all ask here, so a packed weight, a k-bit layer or a k-bit base is recognised the same way everywhere.
"""

from __future__ import annotations

from typing import Any

#: bitsandbytes' parameter classes holding packed weights (their dtype says nothing about precision)
_PACKED_PARAMS = {"Params4bit": 4, "Int8Params": 8}


def packed_bits(param: Any) -> int | None:
    """4 or 8 for a bitsandbytes packed weight (``Params4bit``, ``Int8Params``), else None; by class name."""
    return _PACKED_PARAMS.get(type(param).__name__)


def layer_bits(module: Any) -> int | None:
    """4 for a bitsandbytes ``Linear4bit``, 8 for a ``Linear8bitLt`` (subclasses included), else None."""
    cls = type(module)
    if not cls.__module__.startswith("bitsandbytes"):
        return None
    names = {c.__name__ for c in cls.__mro__}
    if "Linear4bit" in names:
        return 4
    if "Linear8bitLt" in names:
        return 8
    return None


def loaded_bits(base: Any) -> int | None:
    """4 or 8 for a base transformers loaded in k-bit (its ``is_loaded_in_4bit``/``is_loaded_in_8bit`` flags), else None."""
    if getattr(base, "is_loaded_in_4bit", False):
        return 4
    if getattr(base, "is_loaded_in_8bit", False):
        return 8
    return None
