"""The ``gitlab`` format: a GitLab Code Quality report (a JSON array of issues in Code Climate's shape)."""

from __future__ import annotations

import json
from collections import Counter
from typing import TYPE_CHECKING, Any

from lora_lint.findings import Finding, Severity
from lora_lint.hookspecs import RegisterReporter
from lora_lint.plugins import hookimpl
from lora_lint.reporters._base import Reporter
from lora_lint.reporters.sarif import artifact_file, fingerprint

if TYPE_CHECKING:
    from lora_lint.report import Report

#: GitLab's severities are info, minor, major, critical and blocker
SEVERITIES = {Severity.ERROR: "critical", Severity.WARNING: "major", Severity.INFO: "info"}


class GitlabReporter(Reporter):
    """For merge-request widgets: one issue per finding, fingerprinted without line numbers."""

    name = "gitlab"

    def finish(self, report: Report) -> None:
        seen: Counter[str] = Counter()
        issues = []
        for finding in self.findings:
            key = fingerprint(finding)
            seen[key] += 1
            # GitLab merges issues that share a fingerprint: a repeat gets its own, still line-free
            issues.append(self._issue(finding, key if seen[key] == 1 else fingerprint_of(f"{key}#{seen[key]}")))
        self.write(json.dumps(issues, indent=2, ensure_ascii=False))

    def _issue(self, finding: Finding, print_: str) -> dict[str, Any]:
        loc = finding.location
        where = loc.setting or loc.parameter or loc.module
        description = f"{finding.name}: {where}: {finding.message}" if where else f"{finding.name}: {finding.message}"
        if finding.hint:
            description += f" Fix: {finding.hint}"
        return {
            "type": "issue",
            "description": description,
            "check_name": finding.code,
            "categories": ["Bug Risk"],
            "fingerprint": print_,
            "severity": SEVERITIES[finding.severity],
            "location": {"path": self.path(artifact_file(finding)), "lines": {"begin": loc.line or 1}},
        }


def fingerprint_of(text: str) -> str:
    import hashlib

    return hashlib.sha256(text.encode()).hexdigest()[:32]


@hookimpl
def lora_lint_register_reporters(register: RegisterReporter) -> None:
    register("gitlab", GitlabReporter)
