"""The ``json-lines`` format: one finding per line as a JSON object, for log pipelines."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

from lora_lint.findings import Finding
from lora_lint.hookspecs import RegisterReporter
from lora_lint.plugins import hookimpl
from lora_lint.reporters._base import Reporter
from lora_lint.reporters.json import _plain

if TYPE_CHECKING:
    from lora_lint.report import Report


class JsonLinesReporter(Reporter):
    """Each finding as it arrives, shaped like one entry of the ``json`` format's ``findings``."""

    name = "json-lines"

    def add(self, finding: Finding) -> None:
        super().add(finding)
        self.write(json.dumps(finding.to_dict(), default=_plain, ensure_ascii=False, separators=(",", ":")))

    def finish(self, report: Report) -> None:
        """Lines were written as findings arrived; a clean run writes nothing."""


@hookimpl
def lora_lint_register_reporters(register: RegisterReporter) -> None:
    register("json-lines", JsonLinesReporter)
