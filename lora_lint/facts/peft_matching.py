"""peft's own answers to "what does this entry match": thin wrappers over its matching internals."""

from __future__ import annotations

import copy
import functools
import re
from collections.abc import Iterable
from typing import Any

ALL_LINEAR = "all-linear"


def cfg_with(config: Any, **fields: Any) -> Any:
    clone = copy.copy(config)
    for name, value in fields.items():
        setattr(clone, name, value)
    return clone


def matches(config: Any, keys: Iterable[str]) -> tuple[str, ...]:
    # peft internal: check_target_module_exists is what BaseTuner.inject_adapter uses to decide.
    from peft.tuners.tuners_utils import check_target_module_exists

    found = []
    for key in keys:
        try:
            hit = check_target_module_exists(config, key)
        except re.error:  # an invalid regex string matches nothing (peft itself would raise)
            return ()
        if hit and type(hit).__name__ != "_ExcludedModule":
            found.append(key)
    return tuple(found)


def name_suffixes(keys: Iterable[str]) -> frozenset[str]:
    """Every dotted suffix of every module name (``a.b.c`` gives ``c``, ``b.c`` and ``a.b.c``).

    A list entry matches a module when it is the whole name or a ``"." + entry`` suffix of it
    (peft's ``check_target_module_exists``), so an entry outside this set matches nothing: a
    test in constant time, where asking peft costs one call per module.
    """
    out: set[str] = set()
    for key in keys:
        parts = key.split(".")
        out.update(".".join(parts[i:]) for i in range(len(parts)))
    return frozenset(out)


def name_only(config: Any, target_modules: Any) -> Any:
    return cfg_with(
        config,
        target_modules=target_modules,
        exclude_modules=None,
        modules_to_save=None,
        layers_to_transform=None,
        layers_pattern=None,
        target_parameters=None,
    )


def default_targets(model_type: str | None) -> tuple[str, ...] | None:
    if model_type is None:  # no base: no model type to look up (and no peft import)
        return None
    # peft internal: the per-model-type default list LoraModel._prepare_adapter_config falls back to.
    try:
        from peft.utils.constants import TRANSFORMERS_MODELS_TO_LORA_TARGET_MODULES_MAPPING as MAPPING
    except ImportError:  # pragma: no cover - older peft
        from peft.utils import TRANSFORMERS_MODELS_TO_LORA_TARGET_MODULES_MAPPING as MAPPING
    if model_type in MAPPING:
        return tuple(MAPPING[model_type])
    return None


def expand_all_linear(config: Any, base: Any) -> tuple[str, ...]:
    # peft internal: _maybe_include_all_linear_layers is how peft expands "all-linear" (output head excluded).
    from peft.tuners.tuners_utils import _maybe_include_all_linear_layers

    clone = cfg_with(config, target_modules=ALL_LINEAR)
    expanded: Any = _maybe_include_all_linear_layers(clone, base)
    return tuple(sorted(expanded.target_modules))


def saved_matches(entry: str, keys: Iterable[str]) -> tuple[str, ...]:
    # peft internal: peft.utils.other._set_trainable wraps every module whose key ends with the entry
    # (a plain string suffix, so "classifier" also wraps "pre_classifier").
    return tuple(k for k in keys if k.endswith(entry))


def pattern_matches(pattern: str, keys: Iterable[str]) -> tuple[str, ...]:
    # peft internal: get_pattern_key picks the rank_pattern/alpha_pattern key for a module.
    from peft.utils.other import get_pattern_key

    try:
        return tuple(k for k in keys if get_pattern_key([pattern], k) == pattern)
    except re.error:
        return ()


@functools.cache
def saved_modules_are_never_targets() -> bool:
    """Whether this peft leaves modules_to_save out of LoRA targeting (newer peft does), so an overlap is benign.

    Asked once per process: the answer is the installed peft's.
    """
    from peft import LoraConfig
    from peft.tuners.tuners_utils import check_target_module_exists

    hit = check_target_module_exists(LoraConfig(target_modules=["head"], modules_to_save=["head"]), "m.head")
    return type(hit).__name__ == "_ExcludedModule"


def saved_spelling(key: str, keys: Iterable[str]) -> str | None:
    """The shortest modules_to_save entry that wraps ``key`` alone (peft matches by plain suffix), if any."""
    keys = tuple(keys)
    parts = key.split(".")
    for i in range(len(parts) - 1, -1, -1):
        if parts[i].isdigit() and i > 0:
            continue  # "layers.0.input_layernorm" reads better than "0.input_layernorm"
        tail = ".".join(parts[i:])
        if sum(1 for k in keys if k.endswith(tail)) == 1:
            return tail
    return None


def saved_entry_for(group: str, keys: Iterable[str]) -> str | None:
    """A modules_to_save entry that wraps a module group (``a.*.b`` for repeated blocks) by whole names only."""
    keys = tuple(keys)
    leaf = group.rsplit(".", 1)[-1]
    if all(k == leaf or k.endswith(f".{leaf}") for k in keys if k.endswith(leaf)):
        return leaf
    if "*" in group:
        return None
    key = max((k for k in keys if group == k or group.endswith(f".{k}")), key=len, default=None)
    return saved_spelling(key, keys) if key is not None else None


def parameter_matches(entry: str, keys: Iterable[str]) -> tuple[str, ...]:
    """Parameter keys a ``target_parameters`` entry selects.

    peft internal: BaseTuner._inject_parameters matches ``f"{module}.{param}"`` exactly or by a
    ``"." + entry`` suffix; the rule is inline there, so it is restated here.
    """
    return tuple(k for k in keys if k == entry or k.endswith(f".{entry}"))


def layer_matches(config: Any, index: int, keys: Iterable[str]) -> tuple[str, ...]:
    clone = cfg_with(config, layers_to_transform=[index], exclude_modules=None, modules_to_save=None)
    return matches(clone, keys)
