"""The ``json`` format: one object shaped as ``lora_lint.schema.ReportDict``."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from lora_lint.hookspecs import RegisterReporter
from lora_lint.plugins import hookimpl
from lora_lint.reporters._base import Reporter

if TYPE_CHECKING:
    from lora_lint.report import Report


def _plain(value: Any) -> Any:
    """Evidence may hold tuples, sets, enums or tensors' numbers: give JSON something it can write."""
    if isinstance(value, (set, frozenset)):
        return sorted(value, key=str)
    if hasattr(value, "item") and callable(value.item):
        return value.item()
    if hasattr(value, "value") and not callable(value.value):
        return value.value
    return str(value)


def report_json(report: Report) -> str:
    """The report as pretty JSON text (the shape in ``lora_lint.schema``)."""
    return json.dumps(report.to_dict(), indent=2, default=_plain, ensure_ascii=False)


class JsonReporter(Reporter):
    """For programs: the whole report as one JSON object on stdout."""

    name = "json"

    def finish(self, report: Report) -> None:
        self.write(report_json(report))


@hookimpl
def lora_lint_register_reporters(register: RegisterReporter) -> None:
    register("json", JsonReporter)
