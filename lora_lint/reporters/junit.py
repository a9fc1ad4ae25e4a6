"""The ``junit`` format: JUnit XML, one testsuite per target and one testcase per target and rule.

Jenkins, GitLab and Azure Pipelines read it as test results: a finding at or above ``--fail-on`` is
a ``<failure>`` carrying its message and fix, one below it is kept as the testcase's output, and a
rule skipped for a target (a note with its code) is ``<skipped>``.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING
from xml.etree import ElementTree as ET

from lora_lint.findings import Finding
from lora_lint.hookspecs import RegisterReporter
from lora_lint.plugins import hookimpl
from lora_lint.reporters._base import Reporter

if TYPE_CHECKING:
    from lora_lint.report import Report

#: characters XML 1.0 cannot hold even escaped (terminal colour codes in a message, ...)
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


class JunitReporter(Reporter):
    """For CI test-result views: rules as testcases, so a dashboard shows which check failed where."""

    name = "junit"

    def finish(self, report: Report) -> None:
        failing = set(report.failing())
        targets = list(report.targets) or sorted({f.target for f in self.findings})
        root = ET.Element("testsuites", name="lora-lint")
        totals = {"tests": 0, "failures": 0, "skipped": 0}
        for target in targets:
            suite = self._suite(report, target, failing)
            root.append(suite)
            for key in totals:
                totals[key] += int(suite.get(key, "0"))
        for key, value in totals.items():
            root.set(key, str(value))
        root.set("errors", "0")
        ET.indent(root)
        self.write('<?xml version="1.0" encoding="UTF-8"?>')
        self.write(ET.tostring(root, encoding="unicode"))

    def _suite(self, report: Report, target: str, failing: set[Finding]) -> ET.Element:
        findings = [f for f in self.findings if f.target == target]
        skipped = {n.code: n.message for n in report.notes if n.target == target and n.code}
        codes = sorted({*self.meta.checked, *(f.code for f in findings)})
        suite = ET.Element("testsuite", name=target)
        counts = {"tests": 0, "failures": 0, "skipped": 0}
        for code in codes:
            mine = [f for f in findings if f.code == code]
            name = mine[0].name if mine else getattr(self.meta.rules.get(code), "name", "")
            case = ET.SubElement(suite, "testcase", name=f"{code} {name}".strip(), classname=target)
            counts["tests"] += 1
            failed = [f for f in mine if f in failing]
            if failed:
                counts["failures"] += 1
                first = failed[0]
                more = f" (and {len(failed) - 1} more)" if len(failed) > 1 else ""
                failure = ET.SubElement(case, "failure", message=_xml(f"{first.message}{more}"), type=first.severity.label)
                failure.text = _xml("\n".join(_describe(f) for f in failed))
            elif not mine and code in skipped:
                counts["skipped"] += 1
                ET.SubElement(case, "skipped", message=_xml(skipped[code]))
            below = [f for f in mine if f not in failing]
            if below:
                ET.SubElement(case, "system-out").text = _xml("\n".join(_describe(f) for f in below))
        for key, value in counts.items():
            suite.set(key, str(value))
        suite.set("errors", "0")
        return suite


def _xml(text: str) -> str:
    return _NOT_XML.sub("", text)


def _describe(finding: Finding) -> str:
    lines = [f"{finding.severity.label} {finding.code} {finding.name} at {finding.location}", finding.message]
    if finding.hint:
        lines.append(f"fix: {finding.hint}")
    return "\n".join(lines)


@hookimpl
def lora_lint_register_reporters(register: RegisterReporter) -> None:
    register("junit", JunitReporter)
