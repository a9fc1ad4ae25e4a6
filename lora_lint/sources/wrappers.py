"""Data-parallel wrappers hide the model: ``DataParallel``, ``DistributedDataParallel`` and wrappers in their
style (DeepSpeed engines, a bare holder of ``.module``) hold it as ``.module``; facts are collected on what
they wrap, so ``base_model.model.`` names and LoRA layers read as in the unwrapped model."""

from __future__ import annotations

from typing import Any

#: class names of wrappers that keep the wrapped model as ``.module`` and add no layers of their own
_WRAPPER_NAMES = frozenset({"DataParallel", "DistributedDataParallel", "DeepSpeedEngine", "PipelineEngine"})


def unwrap_model(model: Any) -> Any:
    """The model inside any number of data-parallel wrappers (the model itself when it is not wrapped)."""
    import torch

    wrappers = (torch.nn.DataParallel, torch.nn.parallel.DistributedDataParallel)
    seen = 0
    while seen < 8 and isinstance(model, torch.nn.Module):
        inner = getattr(model, "module", None)
        wrapper = isinstance(model, wrappers) or type(model).__name__ in _WRAPPER_NAMES or _bare_holder(model)
        if not wrapper or not isinstance(inner, torch.nn.Module):
            break
        model, seen = inner, seen + 1
    return model


def _bare_holder(model: Any) -> bool:
    """A module whose one child is ``module`` and which has no parameters or buffers of its own."""
    names = [name for name, _ in model.named_children()]
    own = [*model.named_parameters(recurse=False), *model.named_buffers(recurse=False)]
    return names == ["module"] and not own
