"""What a factory returned: a model, ``(model, batch)`` or a mapping, checked before any rule reads it."""

from __future__ import annotations

from collections.abc import Mapping
from types import ModuleType
from typing import Any

from lora_lint.errors import SetupLoadError

_RESULT_KEYS = ("model", "batch", "optimizer")


def safe_str(value: object) -> str:
    """``str(value)``, or a placeholder when the user's ``__str__`` itself raises."""
    try:
        return str(value)
    except Exception:  # the user's __str__: its own failure must not replace the one being reported
        return "(its message cannot be shown: its __str__ raised)"


def _shown(key: object) -> str:
    return key if isinstance(key, str) else f"{safe_str(key)[:40]} (of type {type(key).__name__})"


def _describe(value: object) -> str:
    if isinstance(value, (str, int, float)):
        shown = repr(value[:40]) if isinstance(value, str) else safe_str(value)[:40]
        return f"{shown} (of type {type(value).__name__})"
    if isinstance(value, ModuleType):
        return f"the module {value.__name__}"
    if isinstance(value, type):
        return f"the class {value.__name__} (call it to build an instance)"
    return type(value).__name__


def unpack_result(target: str, result: Any) -> dict[str, Any]:
    """The model, batch and optimizer a factory returned, each checked before any rule reads it."""
    if isinstance(result, Mapping):
        keys = sorted((_shown(k) for k in result), key=str)  # keys of any type, sortable or not
        unknown = [k for k in keys if k not in _RESULT_KEYS]
        if unknown or "model" not in result:
            raise SetupLoadError(
                target,
                f"the factory returned a mapping with keys {', '.join(keys) or '(none)'}; expected 'model' and "
                f"optionally 'batch', 'optimizer'" + (f" (unknown: {', '.join(unknown)})" if unknown else ""),
            )
        parts = {k: result.get(k) for k in _RESULT_KEYS}
    elif isinstance(result, tuple) and len(result) == 2:
        parts = {"model": result[0], "batch": result[1], "optimizer": None}
    else:
        parts = {"model": result, "batch": None, "optimizer": None}
    _validate(target, parts)
    return parts


def _validate(target: str, parts: dict[str, Any]) -> None:
    """What the factory returned is a model instance, an optimizer, and a batch of real tensors."""
    import torch

    model, optimizer, batch = parts["model"], parts["optimizer"], parts["batch"]
    if not isinstance(model, torch.nn.Module):
        raise SetupLoadError(
            target,
            f"the factory returned {_describe(model)}; expected a torch model, (model, batch), "
            "or a mapping with 'model' and optionally 'batch', 'optimizer'",
        )
    if optimizer is not None and not isinstance(getattr(optimizer, "param_groups", None), list):
        raise SetupLoadError(
            target, f"the factory returned {_describe(optimizer)} as 'optimizer'; expected a torch optimizer"
        )
    if any(t.is_meta for t in _tensors(batch)):
        raise SetupLoadError(
            target, "the factory's batch holds tensors on the meta device; the probe needs real data (or return no batch)"
        )


def _tensors(batch: Any, depth: int = 0) -> list[Any]:
    import torch

    if isinstance(batch, torch.Tensor):
        return [batch]
    if depth > 4:
        return []
    if isinstance(batch, Mapping):
        return [t for v in batch.values() for t in _tensors(v, depth + 1)]
    if isinstance(batch, (list, tuple)):
        return [t for v in batch for t in _tensors(v, depth + 1)]
    return []
