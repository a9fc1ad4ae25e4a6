"""A lint's result: findings, notes on what was skipped, attachments, and the exit decision."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, cast, final

from lora_lint.errors import UsageError
from lora_lint.findings import Attachment, Finding, Note, Severity
from lora_lint.selection import is_selected

if TYPE_CHECKING:
    from lora_lint.schema import ReportDict, SummaryDict


def fail_threshold(fail_on: str | Severity) -> Severity | None:
    """``"never"`` -> None, else the lowest severity that fails."""
    if isinstance(fail_on, Severity):
        return fail_on
    if str(fail_on).strip().lower() == "never":
        return None
    try:
        return Severity.parse(fail_on)
    except ValueError:
        raise UsageError(f"fail-on must be one of error, warning, info, never, not {fail_on!r}") from None


@final
@dataclass(frozen=True)
class Report:
    """What one lint found, ordered by target, severity (worst first) and code."""

    findings: tuple[Finding, ...] = ()
    notes: tuple[Note, ...] = ()
    attachments: tuple[Attachment, ...] = ()
    targets: tuple[str, ...] = field(default=())
    #: the threshold ``assert_clean()`` uses when given none (a front end sets it, e.g. ``--lora-fail-on``)
    fail_on: str = field(default="error", compare=False)
    #: the codes of the rules that ran on some target (not skipped for a missing need or the intent), so a
    #: quiet report can be told from one whose rules never looked
    ran: tuple[str, ...] = field(default=(), compare=False)

    def __post_init__(self) -> None:
        order = {t: i for i, t in enumerate(self.targets)}
        ranked = sorted(
            self.findings,
            key=lambda f: (order.get(f.target, len(order)), -int(f.severity), f.code, str(f.location)),
        )
        object.__setattr__(self, "findings", tuple(ranked))

    def __iter__(self) -> Iterator[Finding]:
        return iter(self.findings)

    def __len__(self) -> int:
        return len(self.findings)

    @property
    def codes(self) -> set[str]:
        return {f.code for f in self.findings}

    def by_code(self, code: str) -> list[Finding]:
        return [f for f in self.findings if f.code == code]

    def at_least(self, severity: str | Severity) -> list[Finding]:
        threshold = Severity.parse(severity)
        return [f for f in self.findings if f.severity >= threshold]

    def select(self, select: Iterable[str] | None = None, ignore: Iterable[str] | None = None) -> Report:
        """A copy keeping only findings whose code passes select/ignore (codes or prefixes)."""
        kept = tuple(f for f in self.findings if is_selected(f.code, select, ignore))
        return Report(kept, self.notes, self.attachments, self.targets, self.fail_on, self.ran)

    def failing(self, fail_on: str | Severity | None = None) -> list[Finding]:
        """Findings at or above ``fail_on`` (the report's own threshold when not given)."""
        threshold = fail_threshold(self.fail_on if fail_on is None else fail_on)
        return [] if threshold is None else [f for f in self.findings if f.severity >= threshold]

    def exit_code(self, fail_on: str | Severity | None = None) -> int:
        """0 when nothing reaches ``fail_on``, 1 otherwise (2 is reserved for usage errors)."""
        return 1 if self.failing(fail_on) else 0

    def summary(self) -> SummaryDict:
        by_sev = Counter(f.severity.label for f in self.findings)
        return {
            "targets": list(self.targets),
            "total": len(self.findings),
            "by_severity": {s.label: by_sev.get(s.label, 0) for s in sorted(Severity, reverse=True)},
            "by_code": dict(sorted(Counter(f.code for f in self.findings).items())),
        }

    def to_dict(self) -> ReportDict:
        """The JSON shape of ``--format json`` (declared in :mod:`lora_lint.schema`)."""
        from lora_lint import __version__

        return {
            "version": __version__,
            "findings": [f.to_dict() for f in self.findings],
            "notes": [n.to_dict() for n in self.notes],
            "attachments": [a.to_dict() for a in self.attachments],
            "summary": self.summary(),
        }

    def format_findings(self, findings: Iterable[Finding] | None = None) -> str:
        """Plain text, one finding per block: code, where, what, fix."""
        lines: list[str] = []
        for f in self.findings if findings is None else findings:
            lines.append(f"{f.code} [{f.severity.label}] {f.name} at {f.location}")
            lines.append(f"    {f.message}")
            if f.hint:
                lines.append(f"    fix: {f.hint}")
        return "\n".join(lines)

    def assert_clean(self, fail_on: str | Severity | None = None) -> None:
        """Raise ``AssertionError`` listing every finding at or above ``fail_on``, with attachments.

        Without ``fail_on`` the report's own threshold applies (``"error"`` unless a front end set it).
        """
        __tracebackhide__ = True
        fail_on = self.fail_on if fail_on is None else fail_on
        failing = self.failing(fail_on)
        if not failing:
            return
        parts = [f"lora-lint found {len(failing)} problem(s) at or above {fail_on}:", self.format_findings(failing)]
        for attachment in self.attachments:
            parts.append(f"{attachment.title} ({attachment.target}):\n{attachment.text}")
        raise AssertionError("\n".join(parts))


def merge_reports(reports: Iterable[Report]) -> Report:
    """One report over several targets, keeping each target's order."""
    findings: list[Finding] = []
    notes: list[Note] = []
    attachments: list[Attachment] = []
    targets: list[str] = []
    ran: dict[str, None] = {}
    for r in reports:
        findings.extend(r.findings)
        notes.extend(r.notes)
        attachments.extend(r.attachments)
        targets.extend(t for t in r.targets if t not in targets)
        ran.update(dict.fromkeys(r.ran))
    return Report(tuple(findings), tuple(notes), tuple(attachments), tuple(targets), ran=tuple(ran))


def report_from_dict(data: dict[str, Any]) -> Report:
    """Inverse of :meth:`Report.to_dict` (guards the JSON shape in a round-trip test)."""
    from lora_lint.findings import Basis, Location

    findings = tuple(
        Finding(
            code=d["code"],
            name=d["name"],
            severity=Severity.parse(d["severity"]),
            message=d["message"],
            location=Location(**d["location"]),
            hint=d["hint"],
            target=d["target"],
            basis=Basis(d["basis"]),
            evidence=cast(dict[str, Any], d.get("evidence", {})),
        )
        for d in data["findings"]
    )
    notes = tuple(Note(message=n["message"], target=n["target"], code=n["code"]) for n in data.get("notes", []))
    attachments = tuple(Attachment(**a) for a in data.get("attachments", []))
    return Report(findings, notes, attachments, tuple(data["summary"]["targets"]))
