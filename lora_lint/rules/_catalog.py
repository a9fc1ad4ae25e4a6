"""Built-in rule metadata read from the rule files' text, so ``lora-lint rules`` lists them without
importing 35 modules and the facts they use (a contract test keeps it equal to the imported rules)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from lora_lint.rules._docs import sections_of, summary_of

_CLASS_DOC_RE = re.compile(r'^class \w+\(Rule\):\n\s+"""(.*?)"""', re.MULTILINE | re.DOTALL)
_ATTR_RE = {
    "code": re.compile(r'^    code = "(LORA\d{3})"$', re.MULTILINE),
    "name": re.compile(r'^    name = "([a-z0-9-]+)"$', re.MULTILINE),
    "severity": re.compile(r"^    severity = Severity\.(ERROR|WARNING|INFO)$", re.MULTILINE),
}


@dataclass(frozen=True)
class RuleInfo:
    """What the rules table shows of one rule."""

    code: str
    name: str
    severity: str
    summary: str


def read_rule_file(path: Path) -> RuleInfo | None:
    """The metadata of one rule module, or None when it is not written in the plain form this reads."""
    text = path.read_text(encoding="utf-8")
    doc = _CLASS_DOC_RE.search(text)
    found = {key: rx.findall(text) for key, rx in _ATTR_RE.items()}
    if doc is None or any(len(values) != 1 for values in found.values()):
        return None
    summary = summary_of(sections_of(doc.group(1)))
    return RuleInfo(found["code"][0], found["name"][0], found["severity"][0].lower(), summary)


def builtin_catalog() -> list[RuleInfo] | None:
    """Every built-in rule ordered by code, or None when one file cannot be read this way."""
    from lora_lint.rules import BUILTIN_RULE_MODULES

    folder = Path(__file__).parent
    infos: list[RuleInfo] = []
    for module in BUILTIN_RULE_MODULES:
        info = read_rule_file(folder / f"{module.rsplit('.', 1)[-1]}.py")
        if info is None:
            return None
        infos.append(info)
    return sorted(infos, key=lambda i: i.code)
