"""The Reporter base class: a start / add / finish lifecycle, with colour and paths handled in one place."""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any, ClassVar

if TYPE_CHECKING:
    from lora_lint.findings import Finding
    from lora_lint.report import Report
    from lora_lint.rules._base import Rule


@dataclass(frozen=True)
class ReportMeta:
    """What a reporter knows before the first finding: the tool, the targets, the rules, the root."""

    version: str
    targets: tuple[str, ...] = ()
    #: every registered rule by code (SARIF describes the rules its results refer to)
    rules: Mapping[str, type[Rule]] = field(default_factory=dict)
    #: the folder paths are shown relative to (the working directory); SARIF's %SRCROOT%
    root: Path = field(default_factory=Path.cwd)
    #: the codes of the rules that ran (junit shows a passing testcase for each); empty: unknown
    checked: tuple[str, ...] = ()


class Reporter:
    """Base of every output format.

    The CLI calls :meth:`start` once, :meth:`add` once per finding (already ordered by target,
    severity and code) and :meth:`finish` once with the whole report (notes, attachments, summary).
    Subclasses write to ``self.stream`` and style text with :meth:`style`, which is a no-op
    unless colour is on (a TTY and no ``NO_COLOR``, or forced).
    """

    #: the ``--format`` value this reporter answers to
    name: ClassVar[str] = ""

    def __init__(self, stream: IO[str], *, color: bool | None = None) -> None:
        self.stream = stream
        self.color = use_color(stream) if color is None else color
        self.findings: list[Finding] = []
        self.meta = ReportMeta(version="")
        self._shown: dict[str, str] = {}

    def start(self, meta: ReportMeta) -> None:
        self.meta = meta
        self._shown = {}

    def add(self, finding: Finding) -> None:
        self.findings.append(finding)

    def finish(self, report: Report) -> None:
        raise NotImplementedError

    def write(self, text: str = "") -> None:
        self.stream.write(text + "\n")

    def style(self, text: str, **styles: Any) -> str:
        if not self.color:
            return text
        import click

        return click.style(text, **styles)

    def path(self, file: str) -> str:
        """``file`` relative to the root when it lies inside it, with forward slashes (resolved once per file)."""
        if file not in self._shown:
            self._shown[file] = display_path(file, self.meta.root)
        return self._shown[file]


def use_color(stream: IO[str]) -> bool:
    """Colour on a terminal only; ``NO_COLOR`` turns it off and ``FORCE_COLOR`` on."""
    if os.environ.get("NO_COLOR"):
        return False
    if os.environ.get("FORCE_COLOR"):
        return True
    isatty = getattr(stream, "isatty", None)
    return bool(isatty and isatty())


def display_path(file: str, root: Path) -> str:
    path = Path(file)
    if path.is_absolute():
        try:
            path = path.resolve().relative_to(root.resolve())
        except ValueError:
            return path.as_posix()
    return path.as_posix()


def render(reporter: Reporter, report: Report, meta: ReportMeta) -> None:
    """Run one reporter's whole lifecycle over a report, its hints spelled for the command line."""
    from lora_lint.printable import printable_value

    # names holding bytes that are not UTF-8 escaped first, so JSON, SARIF and XML stay valid
    report = printable_value(command_line_wording(report))
    meta = dataclasses.replace(meta, targets=printable_value(meta.targets))
    reporter.start(meta)
    for finding in report.findings:
        reporter.add(finding)
    reporter.finish(report)


def command_line_wording(report: Report) -> Report:
    """Hints and notes as a ``lora-lint check`` user types them (``--intent inference``, not ``intent="inference"``)."""
    from lora_lint.wording import for_command_line

    findings = tuple(
        dataclasses.replace(f, hint=for_command_line(f.hint), message=for_command_line(f.message)) for f in report.findings
    )
    notes = tuple(dataclasses.replace(n, message=for_command_line(n.message)) for n in report.notes)
    return dataclasses.replace(report, findings=findings, notes=notes)
