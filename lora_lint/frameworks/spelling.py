"""Findings in the framework's own words: the key and line a LoraConfig field came from, hints respelled."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field

_FIELD = re.compile(r"^(?P<field>\w+)(?P<rest>:.*)?$", re.S)
_LIST_KWARG = re.compile(r"\b(?P<field>\w+)=\[(?P<items>[^\]]*)\]")
_KWARG = re.compile(r"\b(?P<field>\w+)=")


@dataclass(frozen=True)
class ConfigSpelling:
    """LoraConfig field -> framework key, framework key -> line, and whether lists are comma strings."""

    framework: str
    keys: Mapping[str, str] = field(default_factory=dict)
    lines: Mapping[str, int] = field(default_factory=dict)
    #: LLaMA-Factory writes lists as "a,b"; axolotl as YAML lists
    comma_lists: frozenset[str] = frozenset()

    def setting(self, setting: str | None) -> tuple[str | None, int | None]:
        """("lora_target_modules: 'value'", its line) for "target_modules: 'value'"."""
        if not setting:
            return setting, None
        fields = [f.strip() for f in setting.split(",")]
        if len(fields) > 1 and all(f.isidentifier() for f in fields):  # "r, lora_alpha": the last one written
            keys = [self.keys.get(f, f) for f in fields]
            lines = [self.lines[k] for k in keys if k in self.lines]
            return ", ".join(keys), (lines[-1] if lines else None)
        match = _FIELD.match(setting)
        if match is None or match["field"] not in self.keys:
            return setting, None
        key = self.keys[match["field"]]
        return key + (match["rest"] or ""), self.lines.get(key)

    def hint(self, hint: str | None) -> str | None:
        """``target_modules=['q_proj', 'v_proj']`` -> ``lora_target_modules: [q_proj, v_proj]``."""
        if not hint:
            return hint

        def as_list(m: re.Match[str]) -> str:
            key = self.keys.get(m["field"])
            if key is None:
                return m.group(0)
            items = [i.strip().strip("'\"") for i in m["items"].split(",") if i.strip()]
            shown = ",".join(items) if key in self.comma_lists else "[" + ", ".join(items) + "]"
            return f"{key}: {shown}"

        hint = _LIST_KWARG.sub(as_list, hint)
        hint = _KWARG.sub(lambda m: f"{self.keys[m['field']]}: " if m["field"] in self.keys else m.group(0), hint)
        return hint.replace("LoraConfig(", f"{self.framework} config (")
