"""The records a lint produces: severities, locations, findings and notes."""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, final

if TYPE_CHECKING:
    from lora_lint.schema import AttachmentDict, FindingDict, LocationDict, NoteDict


class Severity(enum.IntEnum):
    """How sure we are that training will go wrong; ordered so that ``ERROR > WARNING > INFO``."""

    INFO = 1
    WARNING = 2
    ERROR = 3

    @property
    def label(self) -> str:
        return self.name.lower()

    @classmethod
    def parse(cls, text: str | Severity) -> Severity:
        """Read ``"error"``/``"warning"``/``"info"`` (any case) as a severity."""
        if isinstance(text, Severity):
            return text
        try:
            return cls[str(text).strip().upper()]
        except KeyError:
            raise ValueError(f"unknown severity {text!r}: use error, warning or info") from None

    def __str__(self) -> str:
        return self.label


class Basis(enum.Enum):
    """What a finding was established from; plays the role of a confidence."""

    CONFIG = "config"
    STRUCTURE = "structure"
    WEIGHTS = "weights"
    PROBE = "probe"


@final
@dataclass(frozen=True)
class Location:
    """Where a finding points: a module path, a parameter, an adapter, a file and line."""

    module: str | None = None
    parameter: str | None = None
    adapter: str | None = None
    file: str | None = None
    line: int | None = None
    #: the config field and entry at fault, e.g. "target_modules: 'query'"
    setting: str | None = None

    def __str__(self) -> str:
        parts: list[str] = []
        if self.file:
            parts.append(f"{self.file}:{self.line}" if self.line else self.file)
        if self.setting:
            parts.append(self.setting)
        if self.parameter:
            parts.append(self.parameter)
        elif self.module:
            parts.append(self.module)
        if self.adapter and self.adapter != "default":
            parts.append(f"[adapter {self.adapter}]")
        return " ".join(parts) if parts else "<model>"

    def to_dict(self) -> LocationDict:
        return {
            "module": self.module,
            "parameter": self.parameter,
            "adapter": self.adapter,
            "file": self.file,
            "line": self.line,
            "setting": self.setting,
        }


@final
@dataclass(frozen=True)
class Finding:
    """One judgement of one rule; fields are kept apart so no one has to parse the message."""

    code: str
    name: str
    severity: Severity
    message: str
    location: Location
    hint: str
    target: str
    basis: Basis = Basis.STRUCTURE
    evidence: Mapping[str, Any] = field(default_factory=dict, hash=False, compare=False)

    def to_dict(self) -> FindingDict:
        return {
            "code": self.code,
            "name": self.name,
            "severity": self.severity.label,
            "message": self.message,
            "location": self.location.to_dict(),
            "hint": self.hint,
            "target": self.target,
            "basis": self.basis.value,
            "evidence": dict(self.evidence),
        }


@final
@dataclass(frozen=True)
class Note:
    """Something the user should know that is not a finding, e.g. a check skipped and why."""

    message: str
    target: str
    code: str | None = None

    def __str__(self) -> str:
        prefix = f"{self.code}: " if self.code else ""
        return f"{prefix}{self.message}"

    def to_dict(self) -> NoteDict:
        return {"code": self.code, "message": self.message, "target": self.target}


@final
@dataclass(frozen=True)
class Attachment:
    """A block of detail shown beside the findings (e.g. the probe's per-layer gradient table)."""

    target: str
    title: str
    text: str
    data: Mapping[str, Any] = field(default_factory=dict, hash=False, compare=False)

    def to_dict(self) -> AttachmentDict:
        return {"target": self.target, "title": self.title, "text": self.text, "data": dict(self.data)}
