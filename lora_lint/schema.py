"""The JSON output shape, declared once; reporters and tests read it from here."""

from __future__ import annotations

from typing import TypedDict


class LocationDict(TypedDict):
    module: str | None
    parameter: str | None
    adapter: str | None
    file: str | None
    line: int | None
    setting: str | None


class FindingDict(TypedDict):
    code: str
    name: str
    severity: str
    message: str
    location: LocationDict
    hint: str
    target: str
    basis: str
    evidence: dict[str, object]


class NoteDict(TypedDict):
    code: str | None
    message: str
    target: str


class AttachmentDict(TypedDict):
    target: str
    title: str
    text: str
    data: dict[str, object]


class SummaryDict(TypedDict):
    targets: list[str]
    total: int
    by_severity: dict[str, int]
    by_code: dict[str, int]


class ReportDict(TypedDict):
    version: str
    findings: list[FindingDict]
    notes: list[NoteDict]
    attachments: list[AttachmentDict]
    summary: SummaryDict
