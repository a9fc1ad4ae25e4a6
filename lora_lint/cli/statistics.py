"""``check --statistics``: how many findings each code has, most frequent first (as ruff prints it)."""

from __future__ import annotations

from collections import Counter

from lora_lint.report import Report


def statistics_table(report: Report) -> str:
    """One line per code: count, code, name and severity; nothing for a clean report."""
    counts = Counter(f.code for f in report.findings)
    first = {f.code: f for f in reversed(report.findings)}
    rows = sorted(counts.items(), key=lambda item: (-item[1], item[0]))
    width = len(str(max(counts.values(), default=0)))
    return "\n".join(f"{n:>{width}}  {code}  {first[code].name}  [{first[code].severity.label}]" for code, n in rows)
