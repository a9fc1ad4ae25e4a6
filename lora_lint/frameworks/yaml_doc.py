"""Read a YAML config into a mapping plus the line of each top-level key (for findings that point at it)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from lora_lint.errors import SetupLoadError
from lora_lint.text import one_line


def read_yaml(path: Path) -> tuple[dict[str, Any], dict[str, int]]:
    """(data, key -> 1-based line); a broken or non-mapping YAML is a one-line load error."""
    import yaml

    from lora_lint.sources.file_reading import parse_yaml, read_config_text

    text = read_config_text(path)
    data = parse_yaml(text, path)
    try:
        node = yaml.compose(text, Loader=yaml.SafeLoader)
    except (yaml.YAMLError, RecursionError) as exc:
        raise SetupLoadError(str(path), f"malformed YAML: {one_line(exc)}") from None
    if not isinstance(data, dict):
        got = "an empty file" if data is None else f"a {type(data).__name__}"
        raise SetupLoadError(str(path), f"expected a mapping of config keys, got {got}")
    lines: dict[str, int] = {}
    if isinstance(node, yaml.MappingNode):
        for key_node, _value in node.value:
            if isinstance(key_node, yaml.ScalarNode):
                lines.setdefault(str(key_node.value), key_node.start_mark.line + 1)
    return {str(k): v for k, v in data.items()}, lines
