"""What each LoRA config entry matches in the base model (the targeting fact), decided by peft's own matching code."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from lora_lint.facts.conversion import Conversion, peft_conversion
from lora_lint.facts.peft_matching import (
    ALL_LINEAR,
    cfg_with,
    default_targets,
    expand_all_linear,
    layer_matches,
    matches,
    name_only,
    name_suffixes,
    parameter_matches,
    pattern_matches,
    saved_matches,
    saved_modules_are_never_targets,
)
from lora_lint.facts.saved_overlap import named_targets, unique_spellings
from lora_lint.facts.suggest import closest_names
from lora_lint.facts.target_misuse import Misuse, misuse_of, misuse_without_base

if TYPE_CHECKING:
    from lora_lint.facts.model import ModelFacts

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
    #: set when peft reads the entry differently from how it looks (see :class:`Misuse`)
    misuse: Misuse | None = None
    #: the ``target_parameters`` name peft rewrote this entry to (transformers 5 fused MoE experts);
    #: ``matches`` then holds the parameter keys it reaches
    converted_to: str | None = None
    #: of a modules_to_save entry: (wrapped module, the shortest entry that wraps it alone) where one exists
    spellings: tuple[tuple[str, str], ...] = ()


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
    #: base parameter keys peft wraps through ``target_parameters`` (peft >= 0.17), its own MoE rewrite included
    targeted_parameters: tuple[str, ...] = ()
    #: why peft refuses to rewrite the targets for transformers 5 (e.g. ``w1`` without ``w3``), or None
    conversion_error: str | None = None
    #: this peft leaves modules_to_save out of LoRA targeting (newer peft): a module in both trains in full
    saved_never_targets: bool = False
    #: modules a user-written target_modules entry names, which modules_to_save entries are held against
    named_targets: frozenset[str] = frozenset()

    def field_entries(self, field: str) -> tuple[EntryMatch, ...]:
        return tuple(e for e in self.entries if e.field == field)


def _user_targets(facts: ModelFacts, adapter: str, config: Any) -> tuple[Any, bool]:
    """(target_modules as the user wrote it, whether peft's default list stands in for it)."""
    raw = facts.raw_configs.get(adapter)
    value = raw.get("target_modules") if raw is not None else config.target_modules
    if value is None:
        return default_targets(facts.model_type), True
    if isinstance(value, str):
        return value, False
    entries = tuple(sorted(value))
    default = default_targets(facts.model_type)
    # A live config loses the raw form; peft's default list is recognised by equality.
    from_default = raw is None and default is not None and set(entries) == set(default)
    return entries, from_default


def collect_targeting(facts: ModelFacts) -> dict[str, TargetingFacts]:
    result: dict[str, TargetingFacts] = {}
    for adapter, config in facts.configs.items():
        result[adapter] = _one_adapter(facts, adapter, config)
    return result


def _one_adapter(facts: ModelFacts, adapter: str, config: Any) -> TargetingFacts:
    user_targets, from_default = _user_targets(facts, adapter, config)
    if facts.base is None:
        misused = tuple(
            EntryMatch("target_modules", entry, (), (), misuse=misuse)
            for entry, misuse in misuse_without_base(config, user_targets)
        )
        return TargetingFacts(adapter, config, user_targets, from_default, misused, (), "no base model to match against")
    keys = facts.base_keys
    adaptable_keys = {m.key for m in facts.base_modules if m.adaptable}
    leaf_names = sorted(
        {k.rsplit(".", 1)[-1] for k in adaptable_keys} | {".".join(k.split(".")[-2:]) for k in adaptable_keys}
    )
    entries: list[EntryMatch] = []
    param_keys = tuple(p.key for p in facts.base_parameters)
    # A config from a file has not been through peft's transformers-5 MoE rewrite yet; a live one has, and
    # then the entries as written (``w1``) are explained by the rewrite of the written config.
    raw_written = facts.raw_configs.get(adapter)
    conv = peft_conversion(_as_written(config, raw_written), facts.base) if raw_written is not None else Conversion(config)

    def add(field: str, entry: str, matched: tuple[str, ...], default: bool = False, as_string: bool = False) -> None:
        adaptable = tuple(k for k in matched if k in adaptable_keys)
        closest = closest_names(entry, leaf_names) if not adaptable else ()
        misuse = None
        if not matched and field in ("target_modules", "exclude_modules"):
            misuse = misuse_of(config, entry, as_string, keys, adaptable_keys, leaf_names)
        spellings = unique_spellings(matched, keys) if field == "modules_to_save" else ()
        entries.append(EntryMatch(field, entry, matched, adaptable, default, closest, misuse, spellings=spellings))

    # target_modules
    effective = config
    if isinstance(user_targets, str):
        if user_targets.lower() == ALL_LINEAR:
            expanded = expand_all_linear(config, facts.base)
            add("target_modules", user_targets, expanded)
            effective = cfg_with(config, target_modules=set(expanded))
        else:
            add("target_modules", user_targets, matches(name_only(config, user_targets), keys), as_string=True)
            effective = cfg_with(config, target_modules=user_targets)
    elif user_targets:
        suffixes = name_suffixes(keys)  # 10,000 entries: only those that can match are put to peft
        for entry in user_targets:
            if entry in conv.renamed:
                hits = parameter_matches(conv.renamed[entry], param_keys)
                entries.append(EntryMatch("target_modules", entry, hits, hits, from_default, converted_to=conv.renamed[entry]))
                continue
            hits = matches(name_only(config, {entry}), keys) if entry in suffixes else ()
            add("target_modules", entry, hits, from_default)
        effective = cfg_with(config, target_modules=set(user_targets))
    if conv.config is not config:
        effective = cfg_with(config, target_modules=conv.config.target_modules)
    targeted = tuple(k for k in matches(effective, keys) if k in adaptable_keys)

    raw = facts.raw_configs.get(adapter, {})
    task = str(getattr(config, "task_type", "") or "").split(".")[-1]
    peft_added = PEFT_DEFAULT_SAVED.get(task, ())
    user_saved = raw.get("modules_to_save") if raw else None
    # peft writes its whole default list into every adapter config it saves: a file holding all of it is peft's
    saved_by_peft = bool(peft_added) and user_saved is not None and set(peft_added) <= set(user_saved)
    for entry in sorted(config.modules_to_save or ()):
        default = entry in peft_added and (user_saved is None or entry not in user_saved or saved_by_peft)
        add("modules_to_save", entry, saved_matches(entry, keys), default)

    exclude = config.exclude_modules if hasattr(config, "exclude_modules") else None
    if isinstance(exclude, str):
        add("exclude_modules", exclude, matches(name_only(config, exclude), keys), as_string=True)
    elif exclude:
        for entry in sorted(exclude):
            add("exclude_modules", entry, matches(name_only(config, {entry}), keys))

    written_params = _target_parameters(raw, config)
    for entry in sorted(written_params):
        hits = parameter_matches(entry, param_keys)
        entries.append(EntryMatch("target_parameters", entry, hits, hits))
    targeted_params = sorted(
        {k for entry in (*written_params, *conv.target_parameters) for k in parameter_matches(entry, param_keys)}
    )

    # patterns apply to targeted modules and to targeted parameters (peft's MoE rewrite adds such keys itself)
    for field in ("rank_pattern", "alpha_pattern"):
        for entry in sorted(getattr(config, field, None) or {}):
            hits = pattern_matches(entry, (*targeted, *targeted_params))
            closest = () if hits else closest_names(entry, leaf_names)
            entries.append(EntryMatch(field, entry, hits, hits, closest=closest))

    layers = config.layers_to_transform
    if layers is not None:
        for index in [layers] if isinstance(layers, int) else layers:
            add("layers_to_transform", str(index), layer_matches(effective, int(index), keys))

    never = saved_modules_are_never_targets()
    return TargetingFacts(
        adapter=adapter,
        config=config,
        target_modules=user_targets,
        targets_from_default=from_default,
        entries=tuple(entries),
        targeted=targeted,
        targeted_parameters=tuple(targeted_params),
        conversion_error=conv.error,
        saved_never_targets=never,
        named_targets=named_targets(user_targets, entries, adapter in facts.raw_configs, never),
    )


def _as_written(config: Any, raw: Mapping[str, Any]) -> Any:
    """The config as its file wrote it, before peft's rewrite; a live config's copy already went through it."""
    def norm(value: Any) -> Any:
        return value if value is None or isinstance(value, str) else frozenset(value)

    if norm(raw.get("target_modules")) == norm(getattr(config, "target_modules", None)):
        return config
    from lora_lint.facts.lora_configs import config_from_kwargs

    try:
        return config_from_kwargs(raw)
    except (TypeError, ValueError):  # peft built the live model from it; a refusal leaves the live config
        return config


def _target_parameters(raw: Mapping[str, Any] | None, config: Any) -> tuple[str, ...]:
    """``target_parameters`` as written, else from the live config (a field since peft 0.17)."""
    value = raw.get("target_parameters") if raw else None
    if value is None:
        value = getattr(config, "target_parameters", None)
    if not value:
        return ()
    return (value,) if isinstance(value, str) else tuple(value)


def entries_by_field(facts: Mapping[str, TargetingFacts], field: str) -> list[tuple[str, EntryMatch]]:
    """(adapter, entry) pairs of one field across adapters, for rules that judge one field."""
    return [(name, e) for name, t in facts.items() for e in t.field_entries(field)]
