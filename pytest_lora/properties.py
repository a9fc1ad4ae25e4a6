"""Findings as JUnit XML properties of the test that linted, so CI test reports show them without logs."""

from __future__ import annotations

from lora_lint.report import Report
from pytest_lora.state import current_item


def record_findings(report: Report) -> None:
    """One ``lora-lint CODE`` property per finding on the running test (what ``--junitxml`` writes)."""
    item = current_item()
    if item is None:
        return
    for f in report.findings:
        item.user_properties.append((f"lora-lint {f.code}", f"{f.severity.label}: {f.location}: {f.message}"))
