"""Read launch configuration files (accelerate YAML, DeepSpeed JSON) with the line of every key, without torch."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from lora_lint.errors import UsageError


@dataclass(frozen=True)
class ConfigFile:
    """One parsed mapping file and, per dotted key (``fsdp_config.fsdp_use_orig_params``), its 1-based line."""

    path: Path
    data: Mapping[str, Any]
    lines: Mapping[str, int]

    def get(self, dotted: str) -> Any:
        """The value at a dotted key, or None when any part is absent."""
        node: Any = self.data
        for part in dotted.split("."):
            if not isinstance(node, Mapping) or part not in node:
                return None
            node = node[part]
        return node

    def line(self, dotted: str) -> int | None:
        return self.lines.get(dotted)


def _text(path: Path, what: str) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise UsageError(f"{path}: no such {what} file") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise UsageError(f"{path}: cannot read the {what} file ({type(exc).__name__})") from None


def read_yaml(path: Path, what: str = "accelerate config") -> ConfigFile:
    """A YAML mapping with key lines taken from the parser's node marks; broken YAML is a usage error."""
    import yaml

    text = _text(path, what)
    try:
        node = yaml.compose(text, Loader=yaml.SafeLoader)
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}" if mark is not None else ""
        problem = getattr(exc, "problem", None) or "malformed"
        raise UsageError(f"{path}: not valid YAML{where} ({problem})") from None
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise UsageError(f"{path}: the {what} must be a mapping of keys, got {type(data).__name__}")
    lines: dict[str, int] = {}
    _yaml_lines(node, "", lines)
    return ConfigFile(path, data, lines)


def _yaml_lines(node: Any, prefix: str, lines: dict[str, int]) -> None:
    import yaml

    if not isinstance(node, yaml.MappingNode):
        return
    for key_node, value_node in node.value:
        key = f"{prefix}{key_node.value}"
        lines[key] = key_node.start_mark.line + 1
        _yaml_lines(value_node, f"{key}.", lines)


def read_json(path: Path, what: str = "DeepSpeed config") -> ConfigFile:
    """A JSON object; a key's line is the first line naming it after its parent's line."""
    text = _text(path, what)
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise UsageError(f"{path}: not valid JSON at line {exc.lineno} ({exc.msg})") from None
    if not isinstance(data, dict):
        raise UsageError(f"{path}: the {what} must be a JSON object, got {type(data).__name__}")
    lines: dict[str, int] = {}
    _json_lines(data, "", text.splitlines(), 0, lines)
    return ConfigFile(path, data, lines)


def _json_lines(data: Mapping[str, Any], prefix: str, text: list[str], start: int, lines: dict[str, int]) -> None:
    for key, value in data.items():
        needle = json.dumps(key)
        found = next((i for i in range(start, len(text)) if needle in text[i]), None)
        if found is None:
            continue
        lines[f"{prefix}{key}"] = found + 1
        if isinstance(value, Mapping):
            _json_lines(value, f"{prefix}{key}.", text, found, lines)
