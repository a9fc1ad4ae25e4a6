"""Settings of one lint: defaults < ``[tool.lora-lint]`` in pyproject.toml < command line / API."""

from __future__ import annotations

import dataclasses
import sys
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from lora_lint.errors import UsageError
from lora_lint.selection import normalise_codes

FAIL_ON_CHOICES = ("error", "warning", "info", "never")
INTENT_CHOICES = ("training", "inference")


@dataclass(frozen=True)
class Settings:
    """Everything a lint can be told; thresholds sit here so every front end shares them."""

    select: tuple[str, ...] = ()
    ignore: tuple[str, ...] = ()
    extend_select: tuple[str, ...] = ()
    fail_on: str = "error"
    probe: bool = True
    device: str = "auto"
    intent: str = "training"
    #: LORA301 band for the effective scale (alpha/r, or alpha/sqrt(r) with rsLoRA); both ends inclusive.
    alpha_ratio_min: float = 0.25
    alpha_ratio_max: float = 8.0
    #: LORA307 warns above this dropout and errors at 1.0 or more.
    dropout_warn: float = 0.5
    #: ``[tool.lora-lint.per-module-ignores]``: (glob over module paths, codes it drops), in file order
    per_module_ignores: tuple[tuple[str, tuple[str, ...]], ...] = ()
    #: Where the settings came from, for messages (e.g. the pyproject.toml path).
    sources: tuple[str, ...] = field(default=(), compare=False)

    def __post_init__(self) -> None:
        if self.fail_on not in FAIL_ON_CHOICES:
            raise UsageError(f"fail-on must be one of {', '.join(FAIL_ON_CHOICES)}, not {self.fail_on!r}")
        if self.intent not in INTENT_CHOICES:
            raise UsageError(f"intent must be one of {', '.join(INTENT_CHOICES)}, not {self.intent!r}")
        if not self.alpha_ratio_min <= self.alpha_ratio_max:
            raise UsageError(
                f"alpha-ratio-min ({self.alpha_ratio_min}) must not exceed alpha-ratio-max ({self.alpha_ratio_max})"
            )

    def merged(self, **overrides: Any) -> Settings:
        """Return a copy where every override that is not ``None`` wins."""
        changes: dict[str, Any] = {}
        known = {f.name for f in dataclasses.fields(self)}
        for key, value in overrides.items():
            if key not in known:
                raise UsageError(f"unknown setting {key!r} (known: {', '.join(sorted(known - {'sources'}))})")
            if value is None:
                continue
            if key in ("select", "ignore", "extend_select"):
                value = normalise_codes(value)
            changes[key] = value
        return dataclasses.replace(self, **changes)


#: pyproject key -> (Settings field, converter)
_PYPROJECT_KEYS: Mapping[str, str] = {
    "select": "select",
    "ignore": "ignore",
    "extend-select": "extend_select",
    "fail-on": "fail_on",
    "probe": "probe",
    "device": "device",
    "intent": "intent",
    "alpha-ratio-min": "alpha_ratio_min",
    "alpha-ratio-max": "alpha_ratio_max",
    "dropout-warn": "dropout_warn",
    "per-module-ignores": "per_module_ignores",
}


def _load_toml(path: Path) -> dict[str, Any]:
    if sys.version_info >= (3, 11):
        import tomllib
    else:  # pragma: no cover - Python 3.10
        import tomli as tomllib
    try:
        with path.open("rb") as fh:
            return tomllib.load(fh)
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise UsageError(f"cannot read {path}: {exc}") from None


def find_pyproject(start: Path) -> Path | None:
    """The nearest ``pyproject.toml`` at or above ``start``, as ruff and pytest look for it."""
    start = start.resolve()
    for folder in (start, *start.parents):
        candidate = folder / "pyproject.toml"
        if candidate.is_file():
            return candidate
    return None


def settings_from_pyproject(path: Path, base: Settings | None = None) -> Settings:
    """Read ``[tool.lora-lint]``; an unknown key or a wrong type is a usage error naming it."""
    base = base or Settings()
    tool = _load_toml(path).get("tool", {})
    table = tool.get("lora-lint", {}) if isinstance(tool, dict) else {}
    if not isinstance(table, dict):
        raise UsageError(f"{path}: [tool.lora-lint] must be a table")
    values: dict[str, Any] = {}
    for key, value in table.items():
        name = _PYPROJECT_KEYS.get(key)
        if name is None:
            known = ", ".join(sorted(_PYPROJECT_KEYS))
            raise UsageError(f"{path}: unknown key {key!r} in [tool.lora-lint] (known keys: {known})")
        values[name] = _convert(path, key, name, value)
    try:
        return dataclasses.replace(base, sources=(*base.sources, str(path)), **values)
    except UsageError as exc:
        raise UsageError(f"{path}: {exc}") from None


def _convert(path: Path, key: str, name: str, value: Any) -> Any:
    if name == "per_module_ignores":
        from lora_lint.suppression import per_module_table

        return per_module_table(value, str(path))
    expected = type(getattr(Settings(), name))
    if expected is tuple:
        if isinstance(value, str) or (isinstance(value, list) and all(isinstance(v, str) for v in value)):
            return normalise_codes(value)
    elif expected is float:
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            return float(value)
    elif isinstance(value, expected):
        return value
    raise UsageError(f"{path}: [tool.lora-lint] {key} has the wrong type ({type(value).__name__})")
