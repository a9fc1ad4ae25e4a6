"""The LoRA config fields that define an adapter's output scale, and their change said in plain words."""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from lora_lint.facts.config_view import DEFAULTS as LORA_DEFAULTS
from lora_lint.facts.scales import lora_scale

#: LoraConfig defaults for these fields (written down once, in config_view, so no torch is imported)
DEFAULTS: Mapping[str, Any] = {
    name: LORA_DEFAULTS[name]
    for name in ("r", "lora_alpha", "use_rslora", "rank_pattern", "alpha_pattern", "target_modules")
}
FIELDS: tuple[str, ...] = tuple(DEFAULTS)


def scale_fields(config: Mapping[str, Any]) -> dict[str, Any]:
    """The scale-defining fields of a config (saved JSON or ``LoraConfig.to_dict()``), normalised.

    ``target_modules`` is a set in a live LoraConfig and a list in JSON in no fixed order: compare sorted.
    """
    out: dict[str, Any] = {}
    for name, default in DEFAULTS.items():
        value = config.get(name, default)
        if value is None and name != "target_modules":
            value = default
        if name == "target_modules" and value is not None and not isinstance(value, str):
            value = sorted(str(v) for v in value)
        elif name in ("rank_pattern", "alpha_pattern"):
            value = {str(k): _number(v) for k, v in sorted(dict(value or {}).items())}
        elif name in ("r", "lora_alpha"):
            value = _number(value)
        elif name == "use_rslora":
            value = bool(value)
        out[name] = value
    return out


def _number(value: Any) -> Any:
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


def global_scale(fields: Mapping[str, Any]) -> float:
    """The adapter-wide scale of normalised fields; inf for a rank peft refuses (r <= 0)."""
    value = lora_scale(fields["r"], fields["lora_alpha"], fields["use_rslora"])
    return math.inf if value is None else value


def formula(fields: Mapping[str, Any]) -> str:
    return "alpha/sqrt(r)" if fields["use_rslora"] else "alpha/r"


def effect(old: float, new: float) -> str:
    """How the adapter's contribution to the output changes when its scale goes from ``old`` to ``new``."""
    if old == new:
        return "the scale stays the same"
    if old == 0 or not math.isfinite(old) or not math.isfinite(new):
        return f"the adapter's contribution goes from scale {old:g} to {new:g}"
    ratio = new / old
    if ratio < 0:
        return "the adapter's contribution flips sign"
    named = {2.0: "doubles", 0.5: "halves", 4.0: "quadruples", 0.25: "drops to a quarter"}
    for value, word in named.items():
        if math.isclose(ratio, value, rel_tol=1e-9):
            return f"the adapter's contribution {word}"
    return f"the adapter's contribution is multiplied by {ratio:.3g}"


@dataclass(frozen=True)
class FieldChange:
    """One scale-defining field that differs between what an adapter was trained with and what it has now."""

    field: str
    old: Any
    new: Any

    def __str__(self) -> str:
        return f"{self.field} {_show(self.old)} -> {_show(self.new)}"


def _show(value: Any) -> str:
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, (list, dict)):
        return repr(value) if value else ("[]" if isinstance(value, list) else "{}")
    return repr(value) if isinstance(value, str) else f"{value:g}" if isinstance(value, float) else str(value)


def field_changes(old: Mapping[str, Any], new: Mapping[str, Any]) -> tuple[FieldChange, ...]:
    return tuple(FieldChange(f, old.get(f), new.get(f)) for f in FIELDS if old.get(f) != new.get(f))


def describe_change(old: Mapping[str, Any], new: Mapping[str, Any]) -> str:
    """E.g. ``lora_alpha 16 -> 32: the adapter's contribution doubles (scale alpha/r 2 -> 4)``."""
    changes = field_changes(old, new)
    parts = [", ".join(str(c) for c in changes)]
    before, after = global_scale(old), global_scale(new)
    if before != after:
        if formula(old) == formula(new):
            how = f"scale {formula(new)} = {before:.4g} -> {after:.4g}"
        else:
            how = f"scale {formula(old)} = {before:.4g} -> {formula(new)} = {after:.4g}"
        parts.append(f": {effect(before, after)} ({how})")
    elif any(c.field in ("r", "use_rslora", "lora_alpha") for c in changes):
        parts.append(f": the scale stays {after:.4g}, but the saved tensors were trained with the old values")
    for key, (s_old, s_new) in pattern_scales(old, new).items():
        parts.append(f"; layers matching {key!r}: {effect(s_old, s_new)} (scale {s_old:.4g} -> {s_new:.4g})")
    if any(c.field == "target_modules" for c in changes):
        parts.append("; layers trained with the adapter are no longer loaded, or new ones load untrained")
    return "".join(parts)


def pattern_scales(old: Mapping[str, Any], new: Mapping[str, Any]) -> dict[str, tuple[float, float]]:
    """Per rank_pattern/alpha_pattern key whose layer scale changed: (old scale, new scale)."""
    keys = sorted({*old["rank_pattern"], *old["alpha_pattern"], *new["rank_pattern"], *new["alpha_pattern"]})
    out: dict[str, tuple[float, float]] = {}
    for key in keys:
        s_old = _pattern_scale(old, key)
        s_new = _pattern_scale(new, key)
        if s_old != s_new and (s_old, s_new) != (global_scale(old), global_scale(new)):
            out[key] = (s_old, s_new)
    return out


def _pattern_scale(fields: Mapping[str, Any], key: str) -> float:
    r = fields["rank_pattern"].get(key, fields["r"])
    alpha = fields["alpha_pattern"].get(key, fields["lora_alpha"])
    value = lora_scale(r, alpha, fields["use_rslora"])
    return math.inf if value is None else value
