"""What the command line tells loaders beyond the TARGET: a base model folder, a LoRA config, a lock file."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, fields, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from lora_lint.facts.launch import LaunchFacts

#: takes a short status text ("loading train.py:build"); a terminal shows it on one self-erasing line
ProgressCallback = Callable[[str], None]


def _quiet(_message: str) -> None:
    """The progress callback when nobody watches."""


@dataclass(frozen=True)
class LoadOptions:
    """Loader options, one typed field each; new ones arrive as new fields with defaults.

    ``get``/``[]`` read a field by name, so loaders written against the earlier options dict
    (``options.get("model")``) keep working; the values are the typed ones below.
    """

    #: ``--model DIR``: the base model folder (config.json; weights optional)
    model: Path | None = None
    #: ``--lora-config FILE``: LoraConfig kwargs as JSON or YAML, or an adapter folder (needs ``model``)
    lora_config: Path | None = None
    #: ``--lock FILE``: compare saved adapters against this lock
    lock: Path | None = None
    #: ``--adapter DIR``: the adapter a merged checkpoint (TARGET) should contain
    adapter: Path | None = None
    load_in_8bit: bool = False
    load_in_4bit: bool = False
    progress: ProgressCallback = _quiet
    #: ``--accelerate-config``/``--deepspeed`` (or a multi-process environment): the job's launch facts
    launch: LaunchFacts | None = None

    @property
    def bits(self) -> int | None:
        """8 or 4 when the base is to be quantised on load, else None."""
        return 8 if self.load_in_8bit else 4 if self.load_in_4bit else None

    def get(self, name: str, default: Any = None) -> Any:
        value = getattr(self, name, None) if name in _NAMES else None
        return default if value is None else value

    def __getitem__(self, name: str) -> Any:
        if name not in _NAMES:
            raise KeyError(name)
        return getattr(self, name)


_NAMES = frozenset(f.name for f in fields(LoadOptions))


def load_options(value: LoadOptions | Mapping[str, Any] | None = None) -> LoadOptions:
    """``LoadOptions`` from itself, from an options mapping of the same names (paths as str), or from nothing."""
    if value is None:
        return LoadOptions()
    if isinstance(value, LoadOptions):
        return value
    unknown = set(value) - _NAMES
    if unknown:
        raise TypeError(f"unknown loader option(s): {', '.join(sorted(unknown))}")
    given = {k: v for k, v in value.items() if v is not None}
    for key in ("model", "lora_config", "lock", "adapter"):
        if key in given:
            given[key] = Path(given[key])
    return replace(LoadOptions(), **given)
