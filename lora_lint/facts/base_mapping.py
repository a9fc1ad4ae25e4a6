"""Where each saved adapter tensor lands on a base model, and why the ones that land nowhere do not."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from lora_lint.facts.artifacts import AdapterArtifact, SavedTensor
    from lora_lint.facts.model import BaseModule, ModelFacts

COMPILE_PREFIX = "_orig_mod."


@dataclass(frozen=True)
class KeyOnBase:
    """One saved tensor and the base module it belongs to (None: loading would skip it)."""

    tensor: SavedTensor
    module: BaseModule | None
    #: found only after transformers' checkpoint renaming for this architecture
    renamed: bool = False


@dataclass(frozen=True)
class BaseMapping:
    """Every tensor of one adapter placed on the base model, with a diagnosis for those that miss."""

    adapter: str
    keys: tuple[KeyOnBase, ...]
    #: why the unmapped keys miss, in words (compiled model, prefix, other model class, adapter name)
    cause: str | None

    @property
    def unmapped(self) -> tuple[KeyOnBase, ...]:
        return tuple(k for k in self.keys if k.module is None)

    @property
    def mapped(self) -> tuple[KeyOnBase, ...]:
        return tuple(k for k in self.keys if k.module is not None)


def map_onto_base(adapter: AdapterArtifact, model: ModelFacts) -> BaseMapping:
    modules = {m.key: m for m in model.base_modules}
    rename = _renamer(model.base)
    keys: list[KeyOnBase] = []
    for t in adapter.tensors:
        if t.saved.has_adapter_name:
            keys.append(KeyOnBase(t, None))
            continue
        # peft internal: target_parameters on one module nest ParamWrappers, and the inner ones save under
        # <module>.base_layer (peft 0.17.1 to 0.21.2); loading puts them back on the module itself
        found = modules.get(t.saved.module) or modules.get(t.saved.module.replace(".base_layer", ""))
        if found is not None:
            keys.append(KeyOnBase(t, found))
            continue
        alias = rename(t.saved.module)
        keys.append(KeyOnBase(t, modules.get(alias) if alias != t.saved.module else None, renamed=True))
    missing = [k for k in keys if k.module is None]
    cause = _diagnose(missing, len(keys), modules, model, adapter) if missing else None
    return BaseMapping(adapter.name, tuple(keys), cause)


def _renamer(base: Any) -> Callable[[str], str]:
    """The key renaming transformers applies when loading old checkpoints of this architecture."""
    legacy: Mapping[str, str] = getattr(base, "_checkpoint_conversion_mapping", None) or {}  # transformers 4.5x
    transforms: list[Any] = []
    try:  # transformers 5: WeightRenaming entries of the model's conversion mapping (peft uses the same)
        from transformers.conversion_mapping import get_model_conversion_mapping
        from transformers.core_model_loading import WeightRenaming

        transforms = [t for t in get_model_conversion_mapping(base) if isinstance(t, WeightRenaming)]
    except Exception:  # noqa: BLE001  older transformers, or an architecture without a mapping
        transforms = []

    def rename(module: str) -> str:
        name = f"{module}.weight"
        for pattern, replacement in legacy.items():
            name = re.sub(pattern, replacement, name)
        for transform in transforms:
            try:
                name, _ = transform.rename_source_key(name)
            except Exception:  # noqa: BLE001, S112  a transformers internal: no renaming is the safe answer
                continue
        return name.removesuffix(".weight")

    return rename


def _diagnose(
    missing: list[KeyOnBase], total: int, modules: Mapping[str, BaseModule], model: ModelFacts, adapter: AdapterArtifact
) -> str:
    arch = model.architecture or "the base model"
    named = [k for k in missing if k.tensor.saved.has_adapter_name]
    if named:
        example = named[0].tensor.saved.key
        return (
            f"the keys still carry an adapter name (e.g. {example}); peft saves them without it "
            "(get_peft_model_state_dict) and will not find these on load"
        )
    paths = [k.tensor.saved.module for k in missing]
    if any(COMPILE_PREFIX in p for p in paths):
        stripped = [p.replace(COMPILE_PREFIX, "") for p in paths if COMPILE_PREFIX in p]
        if any(p in modules for p in stripped):
            return (
                "the adapter was saved from a torch.compile()d model: its module paths carry "
                f"'{COMPILE_PREFIX}' (e.g. {paths[0]})"
            )
    shift = _prefix_shift(paths, modules)
    if shift is not None:
        saved_prefix, base_prefix = shift
        if saved_prefix and base_prefix:
            return f"saved paths start with '{saved_prefix}' where {arch} has '{base_prefix}' (e.g. {paths[0]})"
        if saved_prefix:
            return f"saved paths carry an extra '{saved_prefix}' prefix that {arch} does not have (e.g. {paths[0]})"
        return f"saved paths lack the '{base_prefix}' prefix of {arch} (e.g. {paths[0]})"
    trained_on = adapter.config.get("base_model_name_or_path")
    if len(missing) == total:
        origin = f" ({trained_on})" if trained_on else ""
        return f"no saved module path exists in this model: the adapter was trained on another model{origin}"
    return f"these module paths do not exist in {arch} (e.g. {paths[0]})"


def _prefix_shift(paths: list[str], modules: Mapping[str, Any]) -> tuple[str, str] | None:
    """(saved prefix, base prefix) that turns a sample of saved paths into base paths, if one does."""
    tails: dict[str, str] = {}
    for key in modules:
        parts = key.split(".")
        for i in range(len(parts)):
            tails.setdefault(".".join(parts[i:]), key)
    for path in paths[:5]:
        parts = path.split(".")
        for i in range(len(parts)):
            tail = ".".join(parts[i:])
            if tail.count(".") < 1 and len(parts) > 1:
                break  # one component alone (q_proj) says nothing about a prefix
            base_key = tails.get(tail)
            if base_key is not None:
                saved_prefix = path[: len(path) - len(tail)]
                base_prefix = base_key[: len(base_key) - len(tail)]
                if saved_prefix != base_prefix:
                    return saved_prefix, base_prefix
    return None
