"""The ``github`` format: GitHub Actions workflow commands that annotate the file a finding points at."""

from __future__ import annotations

from typing import TYPE_CHECKING

from lora_lint.findings import Finding, Severity
from lora_lint.hookspecs import RegisterReporter
from lora_lint.plugins import hookimpl
from lora_lint.reporters._base import Reporter
from lora_lint.reporters.sarif import artifact_file

if TYPE_CHECKING:
    from lora_lint.report import Report

_COMMANDS = {Severity.ERROR: "error", Severity.WARNING: "warning", Severity.INFO: "notice"}


def escape_data(text: str) -> str:
    """Escape a workflow command's message (the part after ``::``)."""
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def escape_property(text: str) -> str:
    """Escape a workflow command property value (``file=``, ``title=``)."""
    return escape_data(text).replace(":", "%3A").replace(",", "%2C")


class GithubReporter(Reporter):
    """One ``::error file=...,line=...,title=CODE::message`` line per finding."""

    name = "github"

    def add(self, finding: Finding) -> None:
        super().add(finding)
        self.write(annotation(finding, self.path(artifact_file(finding))))

    def finish(self, report: Report) -> None:
        """Annotations were written as findings arrived; nothing else goes to stdout."""


def annotation(finding: Finding, file: str) -> str:
    loc = finding.location
    props = [f"file={escape_property(file)}"]
    if loc.line:
        props.append(f"line={loc.line}")
    props.append(f"title={escape_property(finding.code)}")
    where = loc.parameter or loc.module
    message = f"{finding.name}: {where}: {finding.message}" if where else f"{finding.name}: {finding.message}"
    if finding.hint:
        message += f"\nFix: {finding.hint}"
    return f"::{_COMMANDS[finding.severity]} {','.join(props)}::{escape_data(message)}"


@hookimpl
def lora_lint_register_reporters(register: RegisterReporter) -> None:
    register("github", GithubReporter)
