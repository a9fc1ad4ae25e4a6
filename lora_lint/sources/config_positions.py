"""Line positions of the top-level keys (and their values' entries) in a JSON or YAML LoRA config.

Both readers are linear in the file's size and give up quietly on text they cannot read: the
loader has already parsed the file and reported any error; here a failure only means "no line".
"""

from __future__ import annotations

import bisect
import json
import re

Positions = tuple[dict[str, int], dict[tuple[str, str], int]]

_WS = re.compile(r"[ \t\n\r]*")


class _JsonLines:
    """A scanner over one JSON object: json decodes each value, the scanner only tracks offsets."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.newlines = [m.start() for m in re.finditer("\n", text)]
        self.decoder = json.JSONDecoder()
        self.fields: dict[str, int] = {}
        self.entries: dict[tuple[str, str], int] = {}

    def line(self, offset: int) -> int:
        return bisect.bisect_left(self.newlines, offset) + 1

    def skip(self, offset: int) -> int:
        return _WS.match(self.text, offset).end()  # type: ignore[union-attr]  # matches the empty string too

    def members(self, offset: int, close: str) -> tuple[list[tuple[int, object, int]], int]:
        """The members of the array or object opening at ``offset``: (offset, key or item, value offset)."""
        text, found = self.text, []
        i = self.skip(offset + 1)
        while text[i] != close:
            start = i
            item, i = self.decoder.raw_decode(text, i)
            value_at = start
            if close == "}":
                i = self.skip(i)
                if text[i] != ":":
                    raise ValueError("expected ':'")
                value_at = self.skip(i + 1)
                i = self.end_of(value_at)
            found.append((start, item, value_at))
            i = self.skip(i)
            if text[i] == ",":
                i = self.skip(i + 1)
        return found, i + 1

    def end_of(self, offset: int) -> int:
        return self.decoder.raw_decode(self.text, offset)[1]

    def scan(self) -> Positions:
        start = self.skip(0)
        if self.text[start : start + 1] != "{":
            return self.fields, self.entries
        top, _ = self.members(start, "}")
        for key_at, key, value_at in top:
            if not isinstance(key, str):
                continue
            self.fields[key] = self.line(key_at)
            opening = self.text[value_at]
            if opening in "[{":
                for item_at, item, _ in self.members(value_at, "]" if opening == "[" else "}")[0]:
                    if isinstance(item, str):
                        self.entries.setdefault((key, item), self.line(item_at))
            elif opening == '"':
                self.entries[(key, str(self.decoder.raw_decode(self.text, value_at)[0]))] = self.line(value_at)
        return self.fields, self.entries


def json_positions(text: str) -> Positions:
    """Lines of a JSON object's keys; entries are a list value's strings and a mapping value's keys."""
    scanner = _JsonLines(text)
    try:
        return scanner.scan()
    except (ValueError, IndexError, RecursionError):
        return scanner.fields, scanner.entries


def yaml_positions(text: str) -> Positions:
    """Lines of a YAML mapping's keys, from the safe loader's node marks (no object is constructed)."""
    import yaml

    fields: dict[str, int] = {}
    entries: dict[tuple[str, str], int] = {}
    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.YAMLError:
        return fields, entries
    if not isinstance(root, yaml.MappingNode):
        return fields, entries
    for key, value in root.value:
        if not isinstance(key, yaml.ScalarNode):
            continue
        fields[key.value] = key.start_mark.line + 1
        if isinstance(value, yaml.SequenceNode):
            items = [item for item in value.value if isinstance(item, yaml.ScalarNode)]
        elif isinstance(value, yaml.MappingNode):
            items = [k for k, _ in value.value if isinstance(k, yaml.ScalarNode)]
        elif isinstance(value, yaml.ScalarNode):
            items = [value]
        else:
            items = []
        for item in items:
            entries.setdefault((key.value, str(item.value)), item.start_mark.line + 1)
    return fields, entries
