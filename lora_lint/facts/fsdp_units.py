"""The units FSDP1's auto-wrap would build from a model under the configured policy, and what each unit holds.

The policies are torch's own (``transformer_auto_wrap_policy``, ``size_based_auto_wrap_policy``) or peft's
``fsdp_auto_wrap_policy``, called through their public ``(module, recurse, nonwrapped_numel)`` protocol.
The walk restates torch's ``_recursive_wrap`` (torch internal, torch/distributed/fsdp/wrap.py) without
wrapping anything, so the user's model is left untouched; it runs on meta-device models as well.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from lora_lint.facts.launch import WrapPolicy

Policy = Callable[..., bool]


@dataclass(frozen=True)
class FsdpUnit:
    """One FSDP unit (the module path, ``""`` for the root) and the parameters it alone holds."""

    module: str
    trainable: tuple[str, ...]
    frozen: tuple[str, ...]

    @property
    def mixed(self) -> bool:
        return bool(self.trainable) and bool(self.frozen)


@dataclass(frozen=True)
class FsdpUnits:
    """Every unit in wrap order (root last); ``unknown_classes`` are layer class names the model lacks."""

    policy: str
    units: tuple[FsdpUnit, ...] = ()
    unknown_classes: tuple[str, ...] = ()

    @property
    def mixed(self) -> tuple[FsdpUnit, ...]:
        return tuple(u for u in self.units if u.mixed)


def _base_model(model: Any) -> Any:
    get_base = getattr(model, "get_base_model", None)
    return get_base() if callable(get_base) else model


def _policy(model: Any, wrap: WrapPolicy) -> tuple[Policy | None, tuple[str, ...]]:
    import functools

    from torch.distributed.fsdp.wrap import size_based_auto_wrap_policy, transformer_auto_wrap_policy

    if wrap.kind == "peft":
        from peft.utils.other import fsdp_auto_wrap_policy

        return fsdp_auto_wrap_policy(model), ()
    if wrap.kind == "size":
        if wrap.min_num_params <= 0:  # accelerate drops a size policy of 0 (no wrapping)
            return None, ()
        return functools.partial(size_based_auto_wrap_policy, min_num_params=wrap.min_num_params), ()
    if wrap.kind == "transformer":
        # accelerate's default layer classes: the base model's _no_split_modules
        names = wrap.layer_classes or tuple(getattr(_base_model(model), "_no_split_modules", None) or ())
        by_name = {type(m).__name__: type(m) for m in model.modules()}
        unknown = tuple(n for n in names if n not in by_name)
        classes = {by_name[n] for n in names if n in by_name}
        return functools.partial(transformer_auto_wrap_policy, transformer_layer_cls=classes), unknown
    return None, ()


def _wrapped(module: Any, policy: Policy, prefix: str, out: list[str], root: bool) -> int:
    """Module paths the policy wraps under ``module`` (children before parents); returns the numel wrapped."""
    numel = int(sum(p.numel() for p in module.parameters()))
    if not policy(module=module, recurse=True, nonwrapped_numel=numel):
        return 0
    wrapped = 0
    for name, child in module.named_children():
        wrapped += _wrapped(child, policy, f"{prefix}{name}.", out, root=False)
    if not root and policy(module=module, recurse=False, nonwrapped_numel=numel - wrapped):
        out.append(prefix.rstrip("."))
        return numel
    return wrapped


def collect_fsdp_units(model: Any, wrap: WrapPolicy) -> FsdpUnits:
    """Simulate FSDP1's auto-wrap of ``model`` (the PeftModel as accelerate prepares it) and group its parameters."""
    policy, unknown = _policy(model, wrap)
    paths: list[str] = []
    if policy is not None:
        _wrapped(model, policy, "", paths, root=True)
    paths.append("")  # the root is always a unit
    held: dict[str, tuple[list[str], list[str]]] = {p: ([], []) for p in paths}
    for name, param in model.named_parameters():
        owner = max((p for p in paths if p == "" or name.startswith(p + ".")), key=len)
        held[owner][0 if param.requires_grad else 1].append(name)
    units = tuple(FsdpUnit(p, tuple(held[p][0]), tuple(held[p][1])) for p in paths if held[p][0] or held[p][1])
    return FsdpUnits(wrap.kind, units, unknown)
