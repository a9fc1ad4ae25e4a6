"""The ``sarif`` format: SARIF 2.1.0 for code-scanning uploads; every result names a file."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from lora_lint.findings import Finding, Severity
from lora_lint.hookspecs import RegisterReporter
from lora_lint.plugins import hookimpl
from lora_lint.reporters._base import Reporter
from lora_lint.text import one_line

if TYPE_CHECKING:
    from lora_lint.report import Report
    from lora_lint.rules._base import Rule

SARIF_SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
SARIF_VERSION = "2.1.0"
ROOT_ID = "%SRCROOT%"
_LEVELS = {Severity.ERROR: "error", Severity.WARNING: "warning", Severity.INFO: "note"}


def artifact_file(finding: Finding) -> str:
    """The file a result points at: the finding's own, else the file part of its TARGET.

    Code scanning rejects an upload whose results lack ``artifactLocation.uri``, so there is always one.
    """
    if finding.location.file:
        return finding.location.file
    target = finding.target
    head, sep, tail = target.rpartition(":")
    if sep and tail.isidentifier() and head:
        return head
    return target


class SarifReporter(Reporter):
    """For code scanning (GitHub and others): one run, the rules it used, one result per finding."""

    name = "sarif"

    def finish(self, report: Report) -> None:
        used = sorted({f.code for f in self.findings})
        rules = [self._rule(code) for code in used]
        index = {code: i for i, code in enumerate(used)}
        run: dict[str, Any] = {
            "tool": {
                "driver": {
                    "name": "lora-lint",
                    "version": self.meta.version,
                    "semanticVersion": self.meta.version,
                    "rules": rules,
                }
            },
            "originalUriBaseIds": {ROOT_ID: {"uri": self.meta.root.resolve().as_uri().rstrip("/") + "/"}},
            "invocations": [
                {
                    "executionSuccessful": True,
                    "toolExecutionNotifications": [
                        {"level": "note", "message": {"text": f"{n.target}: {n}"}} for n in report.notes
                    ],
                }
            ],
            "results": [self._result(f, index[f.code]) for f in self.findings],
        }
        log = {"$schema": SARIF_SCHEMA, "version": SARIF_VERSION, "runs": [run]}
        self.write(json.dumps(log, indent=2, ensure_ascii=False))

    def _rule(self, code: str) -> dict[str, Any]:
        rule: type[Rule] | None = self.meta.rules.get(code)
        if rule is None:  # a finding from a rule the meta does not know: describe it from the finding
            finding = next(f for f in self.findings if f.code == code)
            return {"id": code, "name": finding.name, "defaultConfiguration": {"level": _LEVELS[finding.severity]}}
        docs = rule.docs()
        help_md = "\n\n".join(f"## {title}\n{body}" for title, body in docs.items())
        return {
            "id": rule.code,
            "name": rule.name,
            "shortDescription": {"text": rule.summary()},
            "fullDescription": {"text": one_line(docs.get("What it does", rule.summary()))},
            "help": {"text": rule.hint, "markdown": f"{help_md}\n\n## Fix\n{rule.hint}"},
            "defaultConfiguration": {"level": _LEVELS[rule.severity]},
            "properties": {"tags": ["lora", f"LORA{rule.code[4]}xx"], "basis": rule.basis.value},
        }

    def _result(self, finding: Finding, rule_index: int) -> dict[str, Any]:
        loc = finding.location
        physical: dict[str, Any] = {"artifactLocation": self._artifact(artifact_file(finding))}
        if loc.line:
            physical["region"] = {"startLine": loc.line}
        location: dict[str, Any] = {"physicalLocation": physical}
        logical = []
        if loc.module:
            logical.append({"fullyQualifiedName": loc.module, "kind": "module"})
        if loc.parameter:
            logical.append({"fullyQualifiedName": loc.parameter, "kind": "member"})
        if logical:
            location["logicalLocations"] = logical
        text = finding.message if not finding.hint else f"{finding.message}\nFix: {finding.hint}"
        properties: dict[str, Any] = {"target": finding.target, "basis": finding.basis.value}
        for key in ("setting", "adapter"):
            value = getattr(loc, key)
            if value:
                properties[key] = value
        return {
            "ruleId": finding.code,
            "ruleIndex": rule_index,
            "level": _LEVELS[finding.severity],
            "message": {"text": text},
            "locations": [location],
            "partialFingerprints": {"loraLintFinding/v1": fingerprint(finding)},
            "properties": properties,
        }

    def _artifact(self, file: str) -> dict[str, str]:
        shown = self.path(file)
        if Path(shown).is_absolute():  # outside the root: an absolute file URI, no base id
            return {"uri": Path(shown).as_uri()}
        return {"uri": quote(shown), "uriBaseId": ROOT_ID}  # a space or a backslash percent-encoded, as in a URI


def fingerprint(finding: Finding) -> str:
    """Stable across runs and line moves: what fired where, not the message wording."""
    loc = finding.location
    key = "|".join(str(x or "") for x in (finding.code, finding.target, loc.module, loc.parameter, loc.adapter, loc.setting))
    return hashlib.sha256(key.encode()).hexdigest()[:32]


@hookimpl
def lora_lint_register_reporters(register: RegisterReporter) -> None:
    register("sarif", SarifReporter)
