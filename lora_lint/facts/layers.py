"""Per-layer facts: every LoRA layer, and per adapter its rank, alpha, scaling, dtype, device and grads."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from lora_lint.distributed import all_reduce, global_shape, is_distributed, local_data

if TYPE_CHECKING:
    from lora_lint.facts.model import ModelFacts


@dataclass(frozen=True)
class AdapterSlot:
    """One adapter on one LoRA layer."""

    layer: str
    adapter: str
    r: int
    alpha: float | None
    scaling: float | None
    use_rslora: bool
    #: full parameter names (as model.named_parameters() shows them)
    a_param: str | None
    b_param: str | None
    a_shape: tuple[int, ...]
    b_shape: tuple[int, ...]
    a_requires_grad: bool
    b_requires_grad: bool
    dtype: str
    device: str
    #: None when the values cannot be read (meta device)
    b_is_zero: bool | None
    active: bool
    #: a DoRA adapter's magnitude vector (``lora_magnitude_vector``): full name, and whether it trains
    m_param: str | None = None
    m_requires_grad: bool = False

    @property
    def trainable(self) -> bool:
        return self.a_requires_grad and self.b_requires_grad


@dataclass(frozen=True)
class LoraLayerFacts:
    """A LoRA layer: where it is, what it wraps, and its adapter slots."""

    #: key relative to the base model (as peft matches it)
    key: str
    #: full module path in the user's model
    path: str
    base_type: str
    in_features: int | None
    out_features: int | None
    base_device: str
    base_dtype: str
    merged_adapters: tuple[str, ...]
    disabled: bool
    active_adapters: tuple[str, ...]
    adapters: tuple[AdapterSlot, ...]
    #: the key peft matched rank_pattern/alpha_pattern against when it built this layer: a wrapped parameter's
    #: ``module.param`` path, the owning layer's key for a layer peft builds inside another (an MHA's out_proj)
    pattern_key: str = ""


@dataclass(frozen=True)
class LayerFacts:
    layers: tuple[LoraLayerFacts, ...]

    def __iter__(self) -> Iterator[LoraLayerFacts]:
        return iter(self.layers)

    def __len__(self) -> int:
        return len(self.layers)

    def slots(self, adapter: str | None = None) -> Iterator[AdapterSlot]:
        for layer in self.layers:
            for slot in layer.adapters:
                if adapter is None or slot.adapter == adapter:
                    yield slot

    @property
    def active_adapter_names(self) -> tuple[str, ...]:
        """Adapters active on at least one layer: peft lets several be active per layer, set on the layers."""
        seen: dict[str, None] = {}
        for slot in self.slots():
            if slot.active:
                seen.setdefault(slot.adapter)
        return tuple(seen)

    @property
    def adapter_names(self) -> tuple[str, ...]:
        seen: dict[str, None] = {}
        for slot in self.slots():
            seen.setdefault(slot.adapter)
        return tuple(seen)


def _param_of(module: Any) -> Any:
    """The tensor of a lora_A/lora_B entry: a module's weight or a bare Parameter (embeddings)."""
    return getattr(module, "weight", module)


def _param_names(model: Any) -> dict[int, str]:
    return {id(p): n for n, p in model.named_parameters(remove_duplicate=False)}


def collect_layers(model: Any, facts: ModelFacts) -> LayerFacts:
    if model is None:
        return LayerFacts(())
    import torch
    from peft.tuners.lora import LoraLayer

    names = _param_names(model)
    base_root = facts.base
    base_prefix = ""
    for path, module in model.named_modules():
        if module is base_root:
            base_prefix = f"{path}." if path else ""
            break
    layers: list[LoraLayerFacts] = []
    lora_keys: set[str] = set()
    for path, module in model.named_modules():
        if not isinstance(module, LoraLayer):
            continue
        key = path[len(base_prefix) :] if base_prefix and path.startswith(base_prefix) else path
        lora_keys.add(key)
        base = module.get_base_layer()
        base_w = getattr(base, "weight", None)
        active = module.active_adapters
        active = (active,) if isinstance(active, str) else tuple(active)
        slots: list[AdapterSlot] = []
        adapter_names = [*module.lora_A.keys(), *getattr(module, "lora_embedding_A", {}).keys()]
        for adapter in adapter_names:
            if adapter in module.lora_A:
                a, b = _param_of(module.lora_A[adapter]), _param_of(module.lora_B[adapter])
            else:
                a, b = module.lora_embedding_A[adapter], module.lora_embedding_B[adapter]
            rslora = getattr(module, "use_rslora", {})
            # peft internal: a DoRA adapter keeps its magnitude in lora_magnitude_vector[adapter].weight
            dora = getattr(module, "lora_magnitude_vector", {})
            m = _param_of(dora[adapter]) if adapter in dora else None
            b_zero: bool | None = None
            if not b.is_meta:  # counted on this rank's part, summed over the ranks below
                with torch.no_grad():
                    b_zero = bool(torch.count_nonzero(local_data(b)) == 0)
            slots.append(
                AdapterSlot(
                    layer=key,
                    adapter=adapter,
                    r=int(module.r.get(adapter, 0)),
                    alpha=_num(module.lora_alpha.get(adapter)),
                    scaling=_num(module.scaling.get(adapter)),
                    use_rslora=bool(rslora.get(adapter, False)) if isinstance(rslora, dict) else bool(rslora),
                    a_param=names.get(id(a)),
                    b_param=names.get(id(b)),
                    a_shape=global_shape(a),
                    b_shape=global_shape(b),
                    a_requires_grad=bool(a.requires_grad),
                    b_requires_grad=bool(b.requires_grad),
                    dtype=str(a.dtype).replace("torch.", ""),
                    device=str(a.device),
                    b_is_zero=b_zero,
                    active=adapter in active,
                    m_param=None if m is None else names.get(id(m)),
                    m_requires_grad=m is not None and bool(m.requires_grad),
                )
            )
        layers.append(
            LoraLayerFacts(
                key=key,
                path=path,
                base_type=type(base).__name__,
                in_features=getattr(module, "in_features", None),
                out_features=getattr(module, "out_features", None),
                base_device=str(base_w.device) if base_w is not None else "?",
                base_dtype=str(base_w.dtype).replace("torch.", "") if base_w is not None else "?",
                merged_adapters=tuple(getattr(module, "merged_adapters", ())),
                disabled=bool(getattr(module, "disable_adapters", False)),
                active_adapters=active,
                adapters=tuple(slots),
                pattern_key=_pattern_key(module, key, lora_keys),
            )
        )
    return LayerFacts(tuple(_zero_on_every_rank(layers)))


def _pattern_key(module: Any, key: str, lora_keys: set[str]) -> str:
    """What peft's ``_create_and_replace`` got as ``current_key`` for this layer (its patterns' match target)."""
    parameter = getattr(module, "parameter_name", None)  # peft >= 0.17: a ParamWrapper of target_parameters
    if isinstance(parameter, str):
        # peft internal: BaseTuner._inject_parameters keys a parameter as its module path (".base_layer" removed)
        return f"{key.replace('.base_layer', '')}.{parameter}"
    parts = key.split(".")
    # a layer inside another LoRA layer that is no ParamWrapper was built by that layer (peft's MHA out_proj)
    owner = next((".".join(parts[:end]) for end in range(1, len(parts)) if ".".join(parts[:end]) in lora_keys), None)
    return key if owner is None else owner


def _zero_on_every_rank(layers: list[LoraLayerFacts]) -> list[LoraLayerFacts]:
    """``lora_B`` is zero only when it is zero on every rank (each holds a shard, or its own copy)."""
    if not is_distributed():
        return layers
    flags = [s.b_is_zero for layer in layers for s in layer.adapters]
    nonzero = iter(all_reduce([0.0 if f in (True, None) else 1.0 for f in flags]))
    out = []
    for layer in layers:
        slots = []
        for slot in layer.adapters:
            count = next(nonzero)
            slots.append(slot if slot.b_is_zero is None else dataclasses.replace(slot, b_is_zero=count == 0))
        out.append(dataclasses.replace(layer, adapters=tuple(slots)))
    return out


def _num(value: Any) -> float | None:
    try:
        return float(value)
    except (TypeError, ValueError):
        return None
