"""Where a LoRA config field is written in a source: the line a finding about that field points at.

A finding names the field at fault in ``Location.setting`` (``"target_modules: 'value'"``); this
module maps it to the line of the ``target_modules=`` keyword (or of the ``'value'`` entry) in a
factory's source, or to the key's line in a JSON/YAML config file. Nothing is executed or imported:
Python sources are read with ``ast``, JSON with a linear scanner, YAML with the safe loader's node
positions. Torch-free, and computed once per source (cached on path, modification time and size).
"""

from __future__ import annotations

import ast
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from types import MappingProxyType

from lora_lint.sources.config_positions import json_positions, yaml_positions
from lora_lint.sources.python_positions import factory_positions

#: a larger source is not scanned (a config or a factory file is a few KB): the finding keeps its fallback line
MAX_BYTES = 2_000_000

_SETTING_RE = re.compile(r"^(?P<field>[A-Za-z_]\w*)(?:\[(?P<key>[^\]]+)\])?(?::\s*(?P<value>.+))?$", re.S)


@dataclass(frozen=True)
class FieldLines:
    """Lines of one source: where each field is set, and where each named entry of its value is."""

    fields: Mapping[str, int] = field(default_factory=lambda: MappingProxyType({}))
    #: (field, entry) -> line, for the strings of a list value and the keys of a mapping value
    entries: Mapping[tuple[str, str], int] = field(default_factory=lambda: MappingProxyType({}))

    def line_of(self, setting: str) -> int | None:
        """The line for a finding's ``setting``: the entry it names, else the first field it names that is written here."""
        for name, entry in parse_setting(setting):
            if entry is not None and (name, entry) in self.entries:
                return self.entries[(name, entry)]
            if name in self.fields:
                return self.fields[name]
        return None


EMPTY = FieldLines()


def parse_setting(setting: str) -> list[tuple[str, str | None]]:
    """``(field, entry or None)`` for each field a setting names.

    ``"target_modules: 'value'"`` -> ``[("target_modules", "value")]``; ``"rank_pattern['q']"`` ->
    ``[("rank_pattern", "q")]``; ``"r, lora_alpha"`` -> ``[("r", None), ("lora_alpha", None)]``.
    """
    whole = _parse_one(setting.strip())
    if whole is not None:
        return [whole]
    parts = (_parse_one(part.strip()) for part in setting.split(","))
    return [p for p in parts if p is not None]


def _parse_one(text: str) -> tuple[str, str | None] | None:
    m = _SETTING_RE.match(text)
    if m is None:
        return None
    shown = m["key"] or m["value"]
    entry: object = None
    if shown is not None:
        try:
            entry = ast.literal_eval(shown.strip())
        except (ValueError, SyntaxError, TypeError, MemoryError, RecursionError):
            entry = None
    return m["field"], entry if isinstance(entry, str) else None


def setting_line(file: str | os.PathLike[str], setting: str, def_line: int | None = None) -> int | None:
    """The line of ``setting`` in ``file``, or None when it is not written there (or cannot be read).

    For a Python file ``def_line`` is the factory's first line (its ``def`` or first decorator): only
    that function, and the module-level assignments it uses, are searched.
    """
    return field_lines(file, def_line).line_of(setting)


def field_lines(file: str | os.PathLike[str], def_line: int | None = None) -> FieldLines:
    """The field lines of one source; an unreadable, oversized or malformed source has none."""
    path = Path(file)
    suffix = path.suffix.lower()
    if suffix not in (".py", ".json", ".yaml", ".yml") or (suffix == ".py" and def_line is None):
        return EMPTY
    try:
        stat = path.stat()
    except OSError:
        return EMPTY
    if stat.st_size > MAX_BYTES:
        return EMPTY
    # abspath, not resolve: no system call per finding (10,000 findings often name one file)
    return _cached(os.path.abspath(path), def_line if suffix == ".py" else None, stat.st_mtime_ns, stat.st_size)


@lru_cache(maxsize=256)
def _cached(path: str, def_line: int | None, mtime_ns: int, size: int) -> FieldLines:
    """Keyed on modification time and size too, so a file rewritten between checks is read again."""
    try:
        text = Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return EMPTY
    suffix = Path(path).suffix.lower()
    if suffix == ".py":
        assert def_line is not None
        fields, entries = factory_positions(text, def_line)
    elif suffix == ".json":
        fields, entries = json_positions(text)
    else:
        fields, entries = yaml_positions(text)
    return FieldLines(MappingProxyType(dict(fields)), MappingProxyType(dict(entries)))
