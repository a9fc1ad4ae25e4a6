"""What each LoRA config entry matches in the base model, decided by peft's own matching code."""

from __future__ import annotations

import copy
import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from lora_lint.facts.conversion import Conversion, peft_conversion
from lora_lint.facts.model import ModelFacts
from lora_lint.facts.suggest import closest_names

ALL_LINEAR = "all-linear"
#: heads peft adds to modules_to_save by itself for these task types (PeftModelForSequenceClassification etc.)
PEFT_DEFAULT_SAVED = {
    "SEQ_CLS": ("classifier", "score"),
    "TOKEN_CLS": ("classifier", "score"),
    "QUESTION_ANS": ("qa_outputs",),
}


#: characters that make an entry a regular expression ("." alone is a dotted path, not a regex)
REGEX_CHARS = frozenset("*+?[](){}|\\^$")
_NAME_RE = re.compile(r"^[\w.\-]+$")
_PLAIN_SPLIT_RE = re.compile(r"[|,\s]+")


def is_regex(text: str) -> bool:
    """Whether ``text`` holds regex characters (a list entry with them is still matched literally)."""
    return any(ch in REGEX_CHARS for ch in text)


@dataclass(frozen=True)
class Misuse:
    """An entry that peft reads differently from how it looks (a plain name given as a regex string, a regex in a list)."""

    #: "plain-name-string", "partial-regex-string", "regex-in-list" or "invalid-regex"
    kind: str
    #: list entries that say what the entry was likely meant to match
    names: tuple[str, ...]
    #: adaptable modules the entry would reach if read as meant
    reaches: tuple[str, ...]
    #: a full-path regex (for a single string ``target_modules``) reaching the same modules, when there is one
    regex: str | None = None
    #: names among ``names`` that reach no module, each with its closest real names
    unknown: tuple[tuple[str, tuple[str, ...]], ...] = ()
    #: the regex compiler's complaint, for "invalid-regex"
    error: str | None = None


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
        try:
            hit = check_target_module_exists(config, key)
        except re.error:  # an invalid regex string matches nothing (peft itself would raise)
            return ()
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
    if facts.model_type is None:  # no base: no model type to look up (and no peft import)
        return None
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
    expanded: Any = _maybe_include_all_linear_layers(clone, base)
    return tuple(sorted(expanded.target_modules))


def _saved_matches(entry: str, keys: Iterable[str]) -> tuple[str, ...]:
    # peft internal: peft.utils.other._set_trainable wraps every module whose key ends with the entry
    # (a plain string suffix, so "classifier" also wraps "pre_classifier").
    return tuple(k for k in keys if k.endswith(entry))


def _pattern_matches(pattern: str, keys: Iterable[str]) -> tuple[str, ...]:
    # peft internal: get_pattern_key picks the rank_pattern/alpha_pattern key for a module.
    from peft.utils.other import get_pattern_key

    try:
        return tuple(k for k in keys if get_pattern_key([pattern], k) == pattern)
    except re.error:
        return ()


def saved_modules_are_never_targets() -> bool:
    """Whether this peft leaves modules_to_save out of LoRA targeting (newer peft does), so an overlap is benign."""
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


def parameter_matches(entry: str, keys: Iterable[str]) -> tuple[str, ...]:
    """Parameter keys a ``target_parameters`` entry selects.

    peft internal: BaseTuner._inject_parameters matches ``f"{module}.{param}"`` exactly or by a
    ``"." + entry`` suffix; the rule is inline there, so it is restated here.
    """
    return tuple(k for k in keys if k == entry or k.endswith(f".{entry}"))


def _compiles(pattern: str) -> str | None:
    try:
        re.compile(pattern)
    except re.error as exc:
        return str(exc)
    return None


def _leaf_names(keys: Iterable[str]) -> tuple[str, ...]:
    return tuple(sorted({k.rsplit(".", 1)[-1] for k in keys}))


def _names_regex(names: Iterable[str]) -> str | None:
    names = sorted({re.escape(n) for n in names})
    if not names:
        return None
    inner = names[0] if len(names) == 1 else "(" + "|".join(names) + ")"
    return rf".*\.{inner}"


def _misuse(
    config: Any, entry: str, as_string: bool, keys: tuple[str, ...], adaptable: set[str], leaf_names: list[str]
) -> Misuse | None:
    """How an entry that matched nothing was likely meant, when peft's reading explains the miss."""
    if as_string:
        error = _compiles(entry)
        if error is not None:
            return Misuse("invalid-regex", (), (), None, (), error)
        plain = [n for n in _PLAIN_SPLIT_RE.split(entry.strip().strip("()")) if n]
        if plain and all(_NAME_RE.match(n) for n in plain):
            reach: list[str] = []
            unknown: list[tuple[str, tuple[str, ...]]] = []
            for name in plain:
                hits = [k for k in _matches(_name_only(config, {name}), keys) if k in adaptable]
                reach.extend(hits)
                if not hits:
                    unknown.append((name, closest_names(name, leaf_names)))
            found = sorted(set(reach))
            known = [n for n in plain if n not in dict(unknown)]
            return Misuse("plain-name-string", tuple(plain), tuple(found), _names_regex(known), tuple(unknown))
        rx = re.compile(entry)
        found = sorted(k for k in keys if k in adaptable and rx.search(k))
        if not found:
            return None
        widened = ".*" + entry.lstrip("^")
        full = re.compile(widened) if _compiles(widened) is None else None
        widened_ok = full is not None and all(full.fullmatch(k) for k in found)
        return Misuse("partial-regex-string", _leaf_names(found), tuple(found), widened if widened_ok else None)
    if not is_regex(entry):
        return None
    error = _compiles(entry)
    if error is not None:
        return Misuse("regex-in-list", (), (), None, (), error)
    rx = re.compile(entry)
    found = sorted(k for k in keys if k in adaptable and rx.fullmatch(k))
    whole = entry if found else None
    if not found:
        found = sorted(k for k in keys if k in adaptable and rx.search(k))
    return Misuse("regex-in-list", _leaf_names(found), tuple(found), whole)


def _misuse_without_base(config: Any, user_targets: str | tuple[str, ...] | None) -> Iterator[EntryMatch]:
    """Misuse that needs no model (a saved adapter checked alone): peft reads a list entry literally
    and a string as a regex whatever the model is, so a regex in a list or a broken regex never matches.
    A plain name given as one string is left alone here: only a base can show it matches nothing."""
    if isinstance(user_targets, str):
        entries, as_string = ([user_targets] if _compiles(user_targets) is not None else []), True
    else:
        entries, as_string = list(user_targets or ()), False
    for entry in entries:
        misuse = _misuse(config, entry, as_string, (), set(), [])
        if misuse is not None:
            yield EntryMatch("target_modules", entry, (), (), misuse=misuse)


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
        misused = tuple(_misuse_without_base(config, user_targets))
        return TargetingFacts(adapter, config, user_targets, from_default, misused, (), "no base model to match against")
    keys = facts.base_keys
    adaptable_keys = {m.key for m in facts.base_modules if m.adaptable}
    leaf_names = sorted(
        {k.rsplit(".", 1)[-1] for k in adaptable_keys} | {".".join(k.split(".")[-2:]) for k in adaptable_keys}
    )
    entries: list[EntryMatch] = []
    param_keys = tuple(p.key for p in facts.base_parameters)
    # A config from a file has not been through peft's transformers-5 MoE rewrite yet; a live one has.
    conv = peft_conversion(config, facts.base) if adapter in facts.raw_configs else Conversion(config)

    def add(field: str, entry: str, matched: tuple[str, ...], default: bool = False, as_string: bool = False) -> None:
        adaptable = tuple(k for k in matched if k in adaptable_keys)
        closest = closest_names(entry, leaf_names) if not adaptable else ()
        misuse = None
        if not matched and field in ("target_modules", "exclude_modules"):
            misuse = _misuse(config, entry, as_string, keys, adaptable_keys, leaf_names)
        entries.append(EntryMatch(field, entry, matched, adaptable, default, closest, misuse))

    # target_modules
    effective = config
    if isinstance(user_targets, str):
        if user_targets.lower() == ALL_LINEAR:
            expanded = _expand_all_linear(config, facts.base)
            add("target_modules", user_targets, expanded)
            effective = _cfg_with(config, target_modules=set(expanded))
        else:
            add("target_modules", user_targets, _matches(_name_only(config, user_targets), keys), as_string=True)
            effective = _cfg_with(config, target_modules=user_targets)
    elif user_targets:
        for entry in user_targets:
            if entry in conv.renamed:
                hits = parameter_matches(conv.renamed[entry], param_keys)
                entries.append(EntryMatch("target_modules", entry, hits, hits, from_default, converted_to=conv.renamed[entry]))
                continue
            add("target_modules", entry, _matches(_name_only(config, {entry}), keys), from_default)
        effective = _cfg_with(config, target_modules=set(user_targets))
    if conv.config is not config:
        effective = _cfg_with(config, target_modules=conv.config.target_modules)
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
        add("exclude_modules", exclude, _matches(_name_only(config, exclude), keys), as_string=True)
    elif exclude:
        for entry in sorted(exclude):
            add("exclude_modules", entry, _matches(_name_only(config, {entry}), keys))

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
            hits = _pattern_matches(entry, (*targeted, *targeted_params))
            closest = () if hits else closest_names(entry, leaf_names)
            entries.append(EntryMatch(field, entry, hits, hits, closest=closest))

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
        targeted_parameters=tuple(targeted_params),
        conversion_error=conv.error,
    )


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
