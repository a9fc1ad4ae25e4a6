"""Per-layer rank, alpha and effective scale as a LoRA config defines them (peft's formula and patterns)."""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from lora_lint.context import Setup
    from lora_lint.facts.layers import LayerFacts
    from lora_lint.facts.model import ModelFacts
    from lora_lint.facts.targeting import TargetingFacts


@dataclass(frozen=True)
class ConfigScale:
    """The rank and alpha one config gives one module (or one config entry when no base is known)."""

    adapter: str
    #: base-model key of a targeted module; None when computed per config entry (no base model)
    key: str | None
    r: int
    alpha: float
    use_rslora: bool
    #: the config field each number comes from: "r", "rank_pattern['q_proj']", "lora_alpha", ...
    r_source: str
    alpha_source: str

    @property
    def scale(self) -> float | None:
        """``alpha / r`` (``alpha / sqrt(r)`` with rsLoRA), or None for a rank peft would refuse."""
        return lora_scale(self.r, self.alpha, self.use_rslora)

    @property
    def formula(self) -> str:
        """How the scale is computed, with the numbers: ``alpha 64 / r 2``."""
        return formula(self.alpha, self.r, self.use_rslora)

    @property
    def setting(self) -> str:
        """The config fields responsible, for a finding's location."""
        parts = [s for s in (self.r_source, self.alpha_source) if "pattern" in s]
        return ", ".join(parts) if parts else "r, lora_alpha"


def lora_scale(r: float, alpha: float, use_rslora: bool) -> float | None:
    """peft's scaling: ``LoraLayer.update_layer`` sets ``alpha / sqrt(r)`` with rsLoRA, else ``alpha / r``.

    The one place the formula is written; None for a rank peft refuses (r <= 0).
    """
    if r <= 0:
        return None
    return alpha / math.sqrt(r) if use_rslora else alpha / r


def alpha_for(scale: float, r: float, use_rslora: bool) -> float:
    """The ``lora_alpha`` that gives ``scale`` at rank ``r`` (the formula above, solved for alpha)."""
    return scale * (math.sqrt(r) if use_rslora else float(r))


def num(value: float | None) -> str:
    """A number the way a user wrote it: ``64`` rather than ``64.0``, ``0.5`` as is."""
    if value is None:
        return "?"
    f = float(value)
    return str(int(f)) if f.is_integer() else f"{f:g}"


def fmt_scale(value: float | None) -> str:
    """A scale with one decimal at least (``32.0``, ``0.125``, ``1.4142``)."""
    return "?" if value is None else str(round(float(value), 4))


def formula(alpha: float | None, r: float | None, use_rslora: bool) -> str:
    return f"alpha {num(alpha)} / sqrt(r {num(r)})" if use_rslora else f"alpha {num(alpha)} / r {num(r)}"


def _pattern_value(pattern: Mapping[str, Any] | None, key: str) -> tuple[str | None, Any]:
    # peft internal: get_pattern_key is how LoraModel._create_and_replace picks a rank_pattern/alpha_pattern key.
    from peft.utils.other import get_pattern_key

    if not pattern:
        return None, None
    found = get_pattern_key(list(pattern.keys()), key)
    if found in pattern:
        return found, pattern[found]
    return None, None


def scale_for_key(adapter: str, config: Any, key: str) -> ConfigScale:
    """What peft gives module ``key``: ``rank_pattern``/``alpha_pattern`` first, then ``r``/``lora_alpha``."""
    r_key, r_value = _pattern_value(getattr(config, "rank_pattern", None), key)
    a_key, a_value = _pattern_value(getattr(config, "alpha_pattern", None), key)
    return ConfigScale(
        adapter=adapter,
        key=key,
        r=int(r_value if r_key is not None else config.r),
        alpha=float(a_value if a_key is not None else config.lora_alpha),
        use_rslora=bool(getattr(config, "use_rslora", False)),
        r_source=f"rank_pattern[{r_key!r}]" if r_key is not None else "r",
        alpha_source=f"alpha_pattern[{a_key!r}]" if a_key is not None else "lora_alpha",
    )


def scales_per_entry(adapter: str, config: Any) -> tuple[ConfigScale, ...]:
    """Without a base model: the plain ``r``/``lora_alpha`` pair, then one pair per pattern key."""
    rank_pattern = dict(getattr(config, "rank_pattern", None) or {})
    alpha_pattern = dict(getattr(config, "alpha_pattern", None) or {})
    rslora = bool(getattr(config, "use_rslora", False))
    out = [ConfigScale(adapter, None, int(config.r), float(config.lora_alpha), rslora, "r", "lora_alpha")]
    for key in sorted({*rank_pattern, *alpha_pattern}):
        out.append(
            ConfigScale(
                adapter,
                None,
                int(rank_pattern.get(key, config.r)),
                float(alpha_pattern.get(key, config.lora_alpha)),
                rslora,
                f"rank_pattern[{key!r}]" if key in rank_pattern else "r",
                f"alpha_pattern[{key!r}]" if key in alpha_pattern else "lora_alpha",
            )
        )
    return tuple(out)


def config_scales(
    facts: ModelFacts, targeting: Mapping[str, TargetingFacts]
) -> dict[str, tuple[ConfigScale, ...]]:
    """Per adapter: one scale per targeted module when the base is known, else one per config entry."""
    result: dict[str, tuple[ConfigScale, ...]] = {}
    for adapter, config in facts.configs.items():
        target = targeting.get(adapter)
        keys = target.targeted if target is not None and target.cannot_verify is None else ()
        if keys:
            result[adapter] = tuple(scale_for_key(adapter, config, k) for k in keys)
        else:
            result[adapter] = scales_per_entry(adapter, config)
    return result


def layer_scales(layers: LayerFacts, facts: ModelFacts) -> dict[tuple[str, str], ConfigScale]:
    """(adapter, base key) of every live LoRA layer slot -> what its adapter's config gives that layer."""
    out: dict[tuple[str, str], ConfigScale] = {}
    for layer in layers:
        for slot in layer.adapters:
            config = facts.configs.get(slot.adapter)
            if config is not None:
                out[(slot.adapter, layer.key)] = scale_for_key(slot.adapter, config, layer.pattern_key or layer.key)
    return out


def module_paths(layers: LayerFacts, keys: Iterable[str | None]) -> list[str]:
    """Full module paths for base keys (a PeftModel prefixes ``base_model.model.``), keys when unknown."""
    by_key = {layer.key: layer.path for layer in layers}
    return [by_key.get(k, k) for k in keys if k is not None]


def config_file(setup: Setup, adapter: str) -> str | None:
    """A saved adapter's ``adapter_config.json`` for a config finding; None keeps the setup's origin (and line)."""
    folder = setup.adapter_dirs.get(adapter)
    return str(Path(folder) / "adapter_config.json") if folder is not None else None
