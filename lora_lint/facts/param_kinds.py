"""Every parameter's kind by peft's own markers (adapter weight, declared-trainable copy, base), and its base key."""

from __future__ import annotations

import enum
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from lora_lint.facts.model import ModelFacts

#: Path segments peft inserts when it wraps a module; dropped to show the base model's own key.
_WRAPPER_SEGMENTS = frozenset({"base_layer", "original_module", "token_adapter"})


class Kind(enum.Enum):
    """What a parameter is, from peft's point of view."""

    #: a weight of a LoRA adapter (lora_A/B, lora_embedding_A/B, DoRA magnitude)
    ADAPTER = "adapter"
    #: a base weight the config declares trainable (modules_to_save copy, bias, trainable tokens)
    DECLARED = "declared"
    #: everything else: meant to stay frozen
    BASE = "base"


def base_key(path: str, base_prefix: str) -> str:
    """The module key in the base model: strip the PeftModel prefix and peft's wrapper segments."""
    if base_prefix and path.startswith(base_prefix):
        path = path[len(base_prefix) :]
    parts = path.split(".") if path else []
    out: list[str] = []
    skip = 0
    for part in parts:
        if skip:
            skip -= 1
            continue
        if part == "modules_to_save":  # modules_to_save.<adapter>
            skip = 1
            continue
        if part not in _WRAPPER_SEGMENTS:
            out.append(part)
    return ".".join(out)


def _bias_modes(facts: ModelFacts) -> set[str]:
    # peft applies the `bias` setting of the active adapters (BaseTuner._mark_only_adapters_as_trainable)
    names = facts.active_adapters or tuple(facts.configs)
    return {str(getattr(facts.configs[n], "bias", "none")) for n in names if n in facts.configs}


def classify(model: Any, facts: ModelFacts) -> list[tuple[str, str, Kind, str, str | None, Any]]:
    """(name, module path, kind, role, adapter, tensor) for every parameter, by peft's own markers."""
    from peft.tuners.lora import LoraLayer
    from peft.tuners.tuners_utils import BaseTunerLayer
    from peft.utils.other import AuxiliaryTrainingWrapper, ModulesToSaveWrapper

    bias_modes = _bias_modes(facts)
    seen: set[int] = set()
    out: list[tuple[str, str, Kind, str, str | None, Any]] = []

    def add(path: str, name: str, p: Any, kind: Kind, role: str, adapter: str | None, owner: str | None = None) -> None:
        if id(p) in seen:
            return
        seen.add(id(p))
        full = f"{path}.{name}" if path else name
        lora_base = role == "lora_base"
        role = "base" if lora_base else role
        if kind is Kind.BASE and name == "bias" and ("all" in bias_modes or (lora_base and "lora_only" in bias_modes)):
            kind, role = Kind.DECLARED, "bias"
        out.append((full, path if owner is None else owner, kind, role, adapter, p))

    def adapter_slots(
        module: Any, path: str, kind: Kind, role_of: Any, names: tuple[str, ...] = (), extra: tuple[str, ...] = ()
    ) -> set[str]:
        # peft marker: `adapter_layer_names` lists the attributes holding per-adapter trainable weights
        claimed: set[str] = set()
        for attr in dict.fromkeys([*(getattr(module, "adapter_layer_names", None) or names), *extra]):
            container = module
            for part in attr.split("."):
                container = getattr(container, part, None)
            if container is None or not hasattr(container, "items"):
                continue
            claimed.add(attr.split(".")[0])
            for adapter, sub in container.items():
                sub_path = f"{path}.{attr}"
                if hasattr(sub, "named_parameters"):
                    for n, p in sub.named_parameters():
                        add(f"{sub_path}.{adapter}", n, p, kind, role_of(attr), adapter, owner=path)
                else:
                    add(sub_path, adapter, sub, kind, role_of(attr), adapter, owner=path)
        return claimed

    def walk(module: Any, path: str, role: str) -> None:
        claimed: set[str] = set()
        if isinstance(module, ModulesToSaveWrapper):
            # peft 0.17's ModulesToSaveWrapper declares no adapter_layer_names; its copies live in `modules_to_save`
            claimed = adapter_slots(module, path, Kind.DECLARED, lambda a: "modules_to_save", ("modules_to_save",))
        elif isinstance(module, AuxiliaryTrainingWrapper):
            # TrainableTokensWrapper: its token_adapter is a tuner layer whose deltas are declared, not LoRA;
            # they are classified here first, so the walk below finds them already seen
            for name, child in module.named_children():
                if isinstance(child, BaseTunerLayer):
                    adapter_slots(child, f"{path}.{name}", Kind.DECLARED, lambda a: "trainable_tokens")
        elif isinstance(module, BaseTunerLayer):
            # peft 0.17 adds the DoRA magnitude to adapter_layer_names on Linear layers only, yet saves it (a
            # lora_ key) on Embedding and Conv layers too: it is the adapter's wherever it sits
            dora = ("lora_magnitude_vector",) if isinstance(module, LoraLayer) else ()
            claimed = adapter_slots(module, path, Kind.ADAPTER, lambda a: a.split(".")[-1], extra=dora)
            # bias="lora_only" covers the biases of LoRA layers only (peft checks its tuner_layer_cls)
            role = "lora_base" if isinstance(module, LoraLayer) else "base"
        for name, p in module.named_parameters(recurse=False):
            add(path, name, p, Kind.BASE, role, None)
        for name, child in module.named_children():
            if name in claimed:
                continue
            child_role = role if (role == "lora_base" and name == "base_layer") else "base"
            walk(child, f"{path}.{name}" if path else name, child_role)

    walk(model, "", "base")
    return out
