"""One report for a job of several processes: what any rank found, the same on every rank.

Rules run on every rank over facts already combined across ranks, so the ranks mostly agree; a finding
that only one rank makes (its own batch, its own code path) is still reported, once.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable
from typing import TypeVar

from lora_lint.distributed import all_gather, is_distributed
from lora_lint.report import Report

T = TypeVar("T")


def job_report(report: Report) -> Report:
    """``report`` of this rank joined with every other rank's (findings and notes once each, rank 0's first)."""
    if not is_distributed():
        return report
    reports = all_gather(report)
    return dataclasses.replace(
        report,
        findings=_once(f for r in reports for f in r.findings),
        notes=_once(n for r in reports for n in r.notes),
    )


def _once(items: Iterable[T]) -> tuple[T, ...]:
    return tuple(dict.fromkeys(items))
