"""What each LoRA config entry matches in the base model, decided by peft's own matching code."""

from __future__ import annotations

import copy
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from lora_lint.facts.model import ModelFacts
from lora_lint.facts.suggest import closest_names

ALL_LINEAR = "all-linear"
#: heads peft adds to modules_to_save by itself for these task types (PeftModelForSequenceClassification etc.)
PEFT_DEFAULT_SAVED = {
    "SEQ_CLS": ("classifier", "score"),
    "TOKEN_CLS": ("classifier", "score"),
    "QUESTION_ANS": ("qa_outputs",),
}


@dataclass(frozen=True)
class EntryMatch:
    """One entry of one config field and the base-model modules it matches."""

    field: str
    entry: str
    #: base module keys matched by name alone (exclusions and layer filters not applied)
    matches: tuple[str, ...]
    #: of those, modules of a type LoRA can adapt
    adaptable: tuple[str, ...]
    #: put there by peft (its default target list, the task head), not by the user
    from_default: bool = False
    #: real names to suggest when nothing matched
    closest: tuple[str, ...] = ()


@dataclass(frozen=True)
class TargetingFacts:
    """Matching facts for one adapter's config."""

    adapter: str
    config: Any
    #: target_modules as the user gave it: a tuple of entries, one regex/"all-linear" string, or None
    target_modules: str | tuple[str, ...] | None
    targets_from_default: bool
    entries: tuple[EntryMatch, ...]
    #: base keys peft adapts (or would adapt) with the whole config applied
    targeted: tuple[str, ...]
    #: why targets cannot be checked against a model (no base, remote code), or None
    cannot_verify: str | None = None

    def field_entries(self, field: str) -> tuple[EntryMatch, ...]:
        return tuple(e for e in self.entries if e.field == field)


def _cfg_with(config: Any, **fields: Any) -> Any:
    clone = copy.copy(config)
    for name, value in fields.items():
        setattr(clone, name, value)
    return clone


def _matches(config: Any, keys: Iterable[str]) -> tuple[str, ...]:
    # peft internal: check_target_module_exists is what BaseTuner.inject_adapter uses to decide.
    from peft.tuners.tuners_utils import check_target_module_exists

    found = []
    for key in keys:
        hit = check_target_module_exists(config, key)
        if hit and type(hit).__name__ != "_ExcludedModule":
            found.append(key)
    return tuple(found)


def _name_only(config: Any, target_modules: Any) -> Any:
    return _cfg_with(
        config,
        target_modules=target_modules,
        exclude_modules=None,
        modules_to_save=None,
        layers_to_transform=None,
        layers_pattern=None,
        target_parameters=None,
    )


def _user_targets(facts: ModelFacts, adapter: str, config: Any) -> tuple[Any, bool]:
    """(target_modules as the user wrote it, whether peft's default list stands in for it)."""
    raw = facts.raw_configs.get(adapter)
    value = raw.get("target_modules") if raw is not None else config.target_modules
    if value is None:
        return _default_targets(facts), True
    if isinstance(value, str):
        return value, False
    entries = tuple(sorted(value))
    default = _default_targets(facts)
    # A live config loses the raw form; peft's default list is recognised by equality.
    from_default = raw is None and default is not None and set(entries) == set(default)
    return entries, from_default


def _default_targets(facts: ModelFacts) -> tuple[str, ...] | None:
    # peft internal: the per-model-type default list LoraModel._prepare_adapter_config falls back to.
    try:
        from peft.utils.constants import TRANSFORMERS_MODELS_TO_LORA_TARGET_MODULES_MAPPING as MAPPING
    except ImportError:  # pragma: no cover - older peft
        from peft.utils import TRANSFORMERS_MODELS_TO_LORA_TARGET_MODULES_MAPPING as MAPPING
    if facts.model_type in MAPPING:
        return tuple(MAPPING[facts.model_type])
    return None


def _expand_all_linear(config: Any, base: Any) -> tuple[str, ...]:
    # peft internal: _maybe_include_all_linear_layers is how peft expands "all-linear" (output head excluded).
    from peft.tuners.tuners_utils import _maybe_include_all_linear_layers

    clone = _cfg_with(config, target_modules=ALL_LINEAR)
    return tuple(sorted(_maybe_include_all_linear_layers(clone, base).target_modules))


def _saved_matches(entry: str, keys: Iterable[str]) -> tuple[str, ...]:
    # peft internal: peft.utils.other._set_trainable wraps every module whose key ends with the entry
    # (a plain string suffix, so "classifier" also wraps "pre_classifier").
    return tuple(k for k in keys if k.endswith(entry))


def _pattern_matches(pattern: str, keys: Iterable[str]) -> tuple[str, ...]:
    # peft internal: get_pattern_key picks the rank_pattern/alpha_pattern key for a module.
    from peft.utils.other import get_pattern_key

    return tuple(k for k in keys if get_pattern_key([pattern], k) == pattern)


def _layer_matches(config: Any, index: int, keys: Iterable[str]) -> tuple[str, ...]:
    clone = _cfg_with(config, layers_to_transform=[index], exclude_modules=None, modules_to_save=None)
    return _matches(clone, keys)


def collect_targeting(facts: ModelFacts) -> dict[str, TargetingFacts]:
    result: dict[str, TargetingFacts] = {}
    for adapter, config in facts.configs.items():
        result[adapter] = _one_adapter(facts, adapter, config)
    return result


def _one_adapter(facts: ModelFacts, adapter: str, config: Any) -> TargetingFacts:
    user_targets, from_default = _user_targets(facts, adapter, config)
    if facts.base is None:
        return TargetingFacts(adapter, config, user_targets, from_default, (), (), "no base model to match against")
    keys = facts.base_keys
    adaptable_keys = {m.key for m in facts.base_modules if m.adaptable}
    leaf_names = sorted(
        {k.rsplit(".", 1)[-1] for k in adaptable_keys} | {".".join(k.split(".")[-2:]) for k in adaptable_keys}
    )
    entries: list[EntryMatch] = []

    def add(field: str, entry: str, matched: tuple[str, ...], default: bool = False) -> None:
        adaptable = tuple(k for k in matched if k in adaptable_keys)
        closest = closest_names(entry, leaf_names) if not adaptable else ()
        entries.append(EntryMatch(field, entry, matched, adaptable, default, closest))

    # target_modules
    effective = config
    if isinstance(user_targets, str):
        if user_targets.lower() == ALL_LINEAR:
            expanded = _expand_all_linear(config, facts.base)
            add("target_modules", user_targets, expanded)
            effective = _cfg_with(config, target_modules=set(expanded))
        else:
            add("target_modules", user_targets, _matches(_name_only(config, user_targets), keys))
            effective = _cfg_with(config, target_modules=user_targets)
    elif user_targets:
        for entry in user_targets:
            add("target_modules", entry, _matches(_name_only(config, {entry}), keys), from_default)
        effective = _cfg_with(config, target_modules=set(user_targets))
    targeted = tuple(k for k in _matches(effective, keys) if k in adaptable_keys)

    raw = facts.raw_configs.get(adapter, {})
    task = str(getattr(config, "task_type", "") or "").split(".")[-1]
    peft_added = PEFT_DEFAULT_SAVED.get(task, ())
    user_saved = raw.get("modules_to_save") if raw else None
    for entry in sorted(config.modules_to_save or ()):
        default = entry in peft_added and (user_saved is None or entry not in user_saved)
        add("modules_to_save", entry, _saved_matches(entry, keys), default)

    exclude = config.exclude_modules if hasattr(config, "exclude_modules") else None
    if isinstance(exclude, str):
        add("exclude_modules", exclude, _matches(_name_only(config, exclude), keys))
    elif exclude:
        for entry in sorted(exclude):
            add("exclude_modules", entry, _matches(_name_only(config, {entry}), keys))

    for field in ("rank_pattern", "alpha_pattern"):
        for entry in sorted(getattr(config, field, None) or {}):
            add(field, entry, _pattern_matches(entry, targeted))

    layers = config.layers_to_transform
    if layers is not None:
        for index in [layers] if isinstance(layers, int) else layers:
            add("layers_to_transform", str(index), _layer_matches(effective, int(index), keys))

    return TargetingFacts(
        adapter=adapter,
        config=config,
        target_modules=user_targets,
        targets_from_default=from_default,
        entries=tuple(entries),
        targeted=targeted,
    )


def entries_by_field(facts: Mapping[str, TargetingFacts], field: str) -> list[tuple[str, EntryMatch]]:
    """(adapter, entry) pairs of one field across adapters, for rules that judge one field."""
    return [(name, e) for name, t in facts.items() for e in t.field_entries(field)]
