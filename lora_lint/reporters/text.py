"""The ``text`` format: findings per target grouped by severity, notes, attachments and a summary."""

from __future__ import annotations

import dataclasses

from collections import Counter
from typing import TYPE_CHECKING, Any

from lora_lint.findings import Finding, Severity
from lora_lint.hookspecs import RegisterReporter
from lora_lint.plugins import hookimpl
from lora_lint.reporters._base import Reporter

if TYPE_CHECKING:
    from lora_lint.report import Report

_COLORS: dict[Severity, dict[str, Any]] = {
    Severity.ERROR: {"fg": "red", "bold": True},
    Severity.WARNING: {"fg": "yellow", "bold": True},
    Severity.INFO: {"fg": "cyan", "bold": True},
}
_PLURAL = {Severity.ERROR: "errors", Severity.WARNING: "warnings", Severity.INFO: "info"}


def plural(n: int, severity: Severity) -> str:
    word = severity.label if n == 1 or severity is Severity.INFO else _PLURAL[severity]
    return f"{n} {word}"


class TextReporter(Reporter):
    """For people: each target's findings grouped by severity, worst first, each with its fix."""

    name = "text"

    def finish(self, report: Report) -> None:
        targets = list(report.targets) or sorted({f.target for f in self.findings})
        for target in targets:
            self._target(report, target)
        self.write(self._summary(report, len(targets)))

    def _target(self, report: Report, target: str) -> None:
        findings = [f for f in self.findings if f.target == target]
        notes = [n for n in report.notes if n.target == target]
        attachments = [a for a in report.attachments if a.target == target]
        self.write(self.style(target, bold=True))
        if not findings:
            self.write("  " + self.style("no problems found", fg="green"))
        for severity in sorted(Severity, reverse=True):
            group = [f for f in findings if f.severity is severity]
            if not group:
                continue
            self.write()
            self.write("  " + self.style(f"{_PLURAL[severity]} ({len(group)})", **_COLORS[severity]))
            for finding in group:
                self._finding(finding)
        if notes:
            self.write()
            self.write("  " + self.style("notes", bold=True))
            for note in notes:
                self.write(f"    - {note}")
        for attachment in attachments:
            self.write()
            self.write("  " + self.style(attachment.title, bold=True))
            for line in attachment.text.splitlines():
                self.write(f"    {line}".rstrip())
        self.write()

    def _finding(self, finding: Finding) -> None:
        loc = finding.location
        where = str(loc if not loc.file else dataclasses.replace(loc, file=self.path(loc.file)))
        head = f"{self.style(finding.code, **_COLORS[finding.severity])} {finding.name}"
        self.write(f"    {head}  {where}")
        self.write(f"      {finding.message}")
        if finding.hint:
            self.write(f"      {self.style('fix:', bold=True)} {finding.hint}")

    def _summary(self, report: Report, n_targets: int) -> str:
        where = f"{n_targets} target" + ("" if n_targets == 1 else "s")
        if not report.findings:
            return self.style(f"No problems found in {where}.", fg="green", bold=True)
        by_sev = Counter(f.severity for f in report.findings)
        counts = ", ".join(plural(by_sev.get(s, 0), s) for s in sorted(Severity, reverse=True))
        by_code = Counter(f.code for f in report.findings)
        codes = ", ".join(f"{code} ×{n}" if n > 1 else code for code, n in sorted(by_code.items()))
        worst = max(by_sev)
        return self.style(f"Found {counts} in {where}: {codes}.", **_COLORS[worst])


@hookimpl
def lora_lint_register_reporters(register: RegisterReporter) -> None:
    register("text", TextReporter)
