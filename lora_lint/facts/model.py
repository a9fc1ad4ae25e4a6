"""Model-level facts: the peft configs, the base module tree peft matches against, the model type."""

from __future__ import annotations

import copy
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from lora_lint.distributed import global_shape
from lora_lint.facts.lora_configs import config_from_kwargs
from lora_lint.facts.update_rank import UpdateShape, layer_sizes, update_shape

__all__ = ["ModelFacts", "collect_model_facts", "config_from_kwargs"]

if TYPE_CHECKING:
    from lora_lint.context import Setup

#: Submodule names peft puts inside a tuner layer; never a user's module.
_ADAPTER_PARTS = frozenset(
    {
        "lora_A",
        "lora_B",
        "lora_embedding_A",
        "lora_embedding_B",
        "lora_dropout",
        "lora_magnitude_vector",
        "lora_variant",
    }
)


@dataclass(frozen=True)
class BaseModule:
    """One module of the base model as peft's matching sees it (LoRA wrappers seen through)."""

    key: str
    type_name: str
    #: a layer type LoRA can adapt (Linear, Conv1D, Embedding, Conv, bitsandbytes Linear)
    adaptable: bool
    is_leaf: bool
    in_features: int | None
    out_features: int | None
    #: a LoRA layer currently sits at this key
    wrapped: bool
    #: a transformers ``PreTrainedModel`` of its own (a tower: vision encoder, language model, T5 stack)
    is_submodel: bool = False
    #: the LoRA update's matrix (convolution kernels counted); None when the sizes are unknown
    update: UpdateShape | None = None


@dataclass(frozen=True)
class BaseParameter:
    """One parameter registered directly on a base module (LoRA wrappers seen through)."""

    module: str
    name: str
    shape: tuple[int, ...]

    @property
    def key(self) -> str:
        return f"{self.module}.{self.name}" if self.module else self.name

    @property
    def numel(self) -> int:
        n = 1
        for d in self.shape:
            n *= d
        return n


@dataclass(frozen=True)
class ModelFacts:
    """What the model is and which LoRA configs apply to it."""

    #: the object whose named_modules() peft matches keys against (PeftModel.base_model.model)
    base: Any
    #: adapter name -> LoraConfig (live objects, or built from the user's file; a torch-free
    #: ``LoraConfigView`` when the setup has neither a model nor a base model)
    configs: Mapping[str, Any]
    #: adapter name -> config keyword arguments as the user wrote them (when known)
    raw_configs: Mapping[str, Mapping[str, Any]]
    is_peft_model: bool
    active_adapters: tuple[str, ...]
    model_type: str | None
    architecture: str | None
    num_hidden_layers: int | None
    base_modules: tuple[BaseModule, ...]
    #: parameters each base module holds itself (``recurse=False``), as peft's ``target_parameters`` sees them
    base_parameters: tuple[BaseParameter, ...] = ()

    @property
    def base_keys(self) -> tuple[str, ...]:
        return tuple(m.key for m in self.base_modules)

    def numel_under(self, key: str) -> int:
        """Weights held by the module at ``key`` and everything below it."""
        return sum(p.numel for p in self.base_parameters if p.module == key or p.module.startswith(key + "."))

    def module(self, key: str) -> BaseModule | None:
        for m in self.base_modules:
            if m.key == key:
                return m
        return None


def _peft_root(model: Any) -> tuple[Any, Any, bool]:
    """(object holding peft_config, module peft matches against, is a PeftModel)."""
    from peft import PeftModel
    from peft.tuners.tuners_utils import BaseTuner

    if isinstance(model, PeftModel):
        return model, model.base_model.model, True
    if isinstance(model, BaseTuner):
        return model, model.model, False
    return model, model, False


def adaptable_types() -> tuple[type, ...]:
    """Layer types LoRA can wrap (bitsandbytes layers subclass nn.Linear)."""
    import torch.nn as nn
    from transformers.pytorch_utils import Conv1D

    return (nn.Linear, nn.Embedding, nn.Conv1d, nn.Conv2d, nn.Conv3d, nn.MultiheadAttention, Conv1D)


def walk_base(root: Any, prefix: str = "") -> Iterator[tuple[str, Any, bool]]:
    """Yield (key, module, wrapped) for the base model, seeing through LoRA layers and save wrappers."""
    from peft.tuners.tuners_utils import BaseTunerLayer
    from peft.utils.other import AuxiliaryTrainingWrapper

    for name, child in root.named_children():
        key = f"{prefix}.{name}" if prefix else name
        if isinstance(child, BaseTunerLayer):
            base = child.get_base_layer()
            yield key, base, True
            continue
        if isinstance(child, AuxiliaryTrainingWrapper):
            original = getattr(child, "original_module", None)
            if original is not None:
                yield key, original, False
                yield from walk_base(original, key)
            continue
        yield key, child, False
        yield from walk_base(child, key)


def config_view(kwargs: Mapping[str, Any]) -> Any:
    """A torch-free stand-in for ``LoraConfig(**kwargs)`` (facts/config_view.py), imported on first use:
    `lora-lint rules` and `explain` import this module and need none of it."""
    from lora_lint.facts.config_view import config_view as view

    return view(kwargs)


def collect_model_facts(setup: Setup) -> ModelFacts:
    model = setup.model if setup.model is not None else setup.base_model
    holder, base, is_peft = (None, None, False) if model is None else _peft_root(model)
    configs: dict[str, Any] = {}
    live = getattr(holder, "peft_config", None) if holder is not None else None
    if isinstance(live, Mapping):
        configs.update({k: v for k, v in live.items() if type(v).__name__ == "LoraConfig"})
    # No model and no base (a saved adapter or run checked alone): read the configs without peft, so
    # config-only checks import no torch; with a model, peft's own LoraConfig (torch is imported anyway).
    build = config_from_kwargs if model is not None else config_view
    for name, raw in setup.lora_configs.items():
        configs.setdefault(name, build(raw))
    active: tuple[str, ...] = ()
    if holder is not None and isinstance(live, Mapping):
        active = _active_adapters(holder)
    cfg = getattr(base, "config", None)
    modules: list[BaseModule] = []
    params: list[BaseParameter] = []
    if base is not None:
        from transformers import PreTrainedModel

        kinds = adaptable_types()
        for key, module, wrapped in walk_base(base):
            i, o = layer_sizes(module) if isinstance(module, kinds) else (None, None)
            modules.append(
                BaseModule(
                    key=key,
                    type_name=type(module).__name__,
                    adaptable=isinstance(module, kinds),
                    is_leaf=next(iter(module.children()), None) is None,
                    in_features=i,
                    out_features=o,
                    wrapped=wrapped,
                    is_submodel=isinstance(module, PreTrainedModel),
                    update=update_shape(module, i, o),
                )
            )
            params.extend(
                BaseParameter(key, name, global_shape(p)) for name, p in module.named_parameters(recurse=False)
            )
    archs = getattr(cfg, "architectures", None) or []
    return ModelFacts(
        base=base,
        configs={k: copy.copy(v) for k, v in configs.items()},
        raw_configs={k: dict(v) for k, v in setup.lora_configs.items()},
        is_peft_model=is_peft,
        active_adapters=active,
        model_type=getattr(cfg, "model_type", None),
        architecture=archs[0] if archs else (type(base).__name__ if base is not None else None),
        num_hidden_layers=_depth(cfg),
        base_modules=tuple(modules),
        base_parameters=tuple(params),
    )


def _depth(cfg: Any) -> int | None:
    if cfg is None:
        return None
    for attr in ("num_hidden_layers", "num_layers", "n_layer"):
        value = getattr(cfg, attr, None)
        if isinstance(value, int):
            return value
    text_cfg = getattr(cfg, "text_config", None)
    return _depth(text_cfg) if text_cfg is not None else None


def _active_adapters(holder: Any) -> tuple[str, ...]:
    try:
        act = getattr(holder, "active_adapters", None)
        # transformers' PeftAdapterMixin has a method, peft's PeftModel a property
        act = act() if callable(act) else act
    except ValueError:  # transformers refuses to answer for a peft version it does not support
        return ()
    if isinstance(act, str):
        return (act,)
    return tuple(act or ())
