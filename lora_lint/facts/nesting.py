"""How peft sits in the model: PeftModels or LoRA layers nested in each other, layers no tuner owns, methods used."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from lora_lint.facts.param_kinds import base_key


def prefix_of(model: Any, base: Any) -> str:
    for path, module in model.named_modules():
        if module is base:
            return f"{path}." if path else ""
    return ""


def peft_methods(model: Any) -> tuple[str, ...]:
    configs = getattr(model, "peft_config", None)
    if not isinstance(configs, Mapping):
        return ()
    kinds = (getattr(c, "peft_type", None) for c in configs.values())
    return tuple(dict.fromkeys(str(getattr(k, "value", k)) for k in kinds if k is not None))


def peft_containers(model: Any) -> tuple[str, ...]:
    """Paths of PeftModels/tuners below the outermost one (a PeftModel and its own tuner count as one)."""
    from peft import PeftModel
    from peft.tuners.lora import LoraLayer
    from peft.tuners.tuners_utils import BaseTuner, BaseTunerLayer

    containers: list[str] = []
    found: list[str] = []
    modules = dict(model.named_modules(remove_duplicate=False))
    for path, module in modules.items():
        if isinstance(module, (PeftModel, BaseTuner)):
            parent = modules.get(path.rpartition(".")[0]) if path else None
            if isinstance(module, BaseTuner) and isinstance(parent, PeftModel) and parent.base_model is module:
                continue
            containers.append(path)
        elif (
            isinstance(module, LoraLayer)
            and isinstance(getattr(module, "base_layer", None), BaseTunerLayer)
            # peft stacks one ParamWrapper per entry of target_parameters on the same module, by design
            and not (_is_param_wrapper(module) and _is_param_wrapper(module.base_layer))
        ):
            found.append(f"{path}.base_layer")
    return tuple(containers[1:] + found)


def _is_param_wrapper(module: Any) -> bool:
    from peft.tuners.lora import layer

    wrapper = getattr(layer, "ParamWrapper", None)  # peft >= 0.17 (target_parameters)
    return wrapper is not None and isinstance(module, wrapper)


def unowned_layers(model: Any, base_prefix: str) -> tuple[str, ...]:
    # peft internal: BaseTuner.targeted_module_names lists every key the tuner injected (across add/load_adapter)
    from peft.tuners.lora import LoraLayer
    from peft.tuners.tuners_utils import BaseTuner

    tuner = next((m for m in model.modules() if isinstance(m, BaseTuner)), None)
    owned = set(getattr(tuner, "targeted_module_names", ()) or ()) if tuner is not None else set()
    owned |= {n.rpartition(".")[0] for n in getattr(tuner, "targeted_parameter_names", ()) or ()}
    if tuner is None or not owned:
        return ()
    tuner_prefix = prefix_of(model, tuner.model)
    modules = dict(model.named_modules())
    return tuple(
        key
        for path, m in modules.items()
        if isinstance(m, LoraLayer)
        and path.startswith(tuner_prefix)
        and not _is_mha_out_proj(path, modules)
        and (key := path[len(tuner_prefix) :]) not in owned
        and base_key(path, base_prefix) not in owned
    )


def _is_mha_out_proj(path: str, modules: Mapping[str, Any]) -> bool:
    """peft's MultiheadAttention LoRA layer wraps its base's ``out_proj`` itself, by design: that layer is owned."""
    from peft.tuners.lora import layer

    mha = getattr(layer, "MultiheadAttention", None)  # peft internal: the LoRA layer for nn.MultiheadAttention
    owner = path.removesuffix(".base_layer.out_proj")
    return mha is not None and owner != path and isinstance(modules.get(owner), mha)
