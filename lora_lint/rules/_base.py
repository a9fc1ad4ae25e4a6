"""The Rule base class: metadata next to logic, a single ``check``, and a ``finding`` helper."""

from __future__ import annotations

import enum
import re
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any, ClassVar

from lora_lint.findings import Basis, Finding, Location, Severity
from lora_lint.rules._docs import sections_of, summary_of

if TYPE_CHECKING:
    from lora_lint.context import RuleContext


class Needs(enum.Flag):
    """What a rule needs from a setup; the engine skips it with a note when the setup lacks it."""

    NONE = 0
    #: the LoRA config(s): live on a model, written in a file, or saved beside an adapter
    CONFIG = enum.auto()
    #: the base model's module tree (real or on the meta device)
    BASE = enum.auto()
    #: a model holding LoRA layers (real or on the meta device)
    MODEL = enum.auto()
    #: real tensor values in the model (not the meta device)
    WEIGHTS = enum.auto()
    #: the forward/backward probe (needs weights, probe enabled)
    PROBE = enum.auto()
    #: saved adapter tensors on disk
    ARTIFACT = enum.auto()
    #: several checkpoints of one training run, or a lock to compare against
    RUN = enum.auto()
    #: launch configuration files or a multi-process environment (accelerate, DeepSpeed, WORLD_SIZE)
    LAUNCH = enum.auto()
    #: what suppression comments and per-module-ignores dropped: known only once the other rules ran
    SUPPRESSIONS = enum.auto()


NEED_LABELS: Mapping[Needs, str] = {
    Needs.CONFIG: "a LoRA config",
    Needs.BASE: "the base model (pass --model DIR)",
    Needs.MODEL: "a model with LoRA layers",
    Needs.WEIGHTS: "real weights (the model was built on the meta device)",
    Needs.PROBE: "the probe (disabled, or not possible without weights)",
    Needs.ARTIFACT: "a saved adapter",
    Needs.RUN: "a training run folder or a lock file",
    Needs.LAUNCH: "a launch config (--accelerate-config FILE, --deepspeed FILE)",
}

REQUIRED_SECTIONS = ("What it does", "Why is this bad?", "Example", "Use instead")
OPTIONAL_SECTIONS = ("Options", "References")


def doc_sections(rule: type) -> dict[str, str]:
    """The rule docstring's ``## Section`` blocks, in order, as written."""
    return sections_of(rule.__doc__)


def validate_rule_class(rule: type) -> str | None:
    """Why ``rule`` cannot be registered, or None when it can."""
    from lora_lint.plugins import CODE_RE
    from lora_lint.rules._retired import RETIRED_CODES

    for attr in ("code", "name", "severity", "needs", "hint"):
        if not hasattr(rule, attr):
            return f"missing class attribute {attr!r}"
    code = rule.code  # type: ignore[attr-defined]
    if not isinstance(code, str) or not CODE_RE.match(code):
        return f"code {code!r} does not match LORA[1-8]dd"
    if code in RETIRED_CODES:
        return f"code {code} is retired ({RETIRED_CODES[code]}) and may not be reused"
    if not isinstance(rule.severity, Severity):  # type: ignore[attr-defined]
        return "severity must be a lora_lint.Severity"
    if not re.match(r"^[a-z0-9]+(-[a-z0-9]+)*$", str(rule.name)):  # type: ignore[attr-defined]
        return f"name {rule.name!r} must be kebab-case"  # type: ignore[attr-defined]
    missing = [s for s in REQUIRED_SECTIONS if s not in doc_sections(rule)]
    if missing:
        return f"docstring lacks the section(s) {', '.join(missing)}"
    if not callable(getattr(rule, "check", None)):
        return "no check() method"
    return None


class Rule:
    """Base of every rule. Subclasses set the class attributes and implement :meth:`check`."""

    code: ClassVar[str]
    name: ClassVar[str]
    severity: ClassVar[Severity]
    needs: ClassVar[Needs] = Needs.NONE
    hint: ClassVar[str]
    basis: ClassVar[Basis] = Basis.STRUCTURE
    #: skipped with ``intent="inference"`` (an adapter loaded for inference is meant to be frozen)
    training_only: ClassVar[bool] = False

    def check(self, ctx: RuleContext) -> Iterable[Finding]:
        """Yield findings for one setup; read facts from ``ctx``, never walk the model here."""
        raise NotImplementedError

    @classmethod
    def docs(cls) -> dict[str, str]:
        return doc_sections(cls)

    @classmethod
    def summary(cls) -> str:
        """First sentence of 'What it does', for the rules table."""
        return summary_of(cls.docs())

    def finding(
        self,
        ctx: RuleContext,
        message: str,
        *,
        module: str | None = None,
        parameter: str | None = None,
        adapter: str | None = None,
        setting: str | None = None,
        file: str | None = None,
        line: int | None = None,
        hint: str | None = None,
        severity: Severity | None = None,
        basis: Basis | None = None,
        evidence: Mapping[str, Any] | None = None,
    ) -> Finding:
        """Build a finding of this rule; file/line default to where the setup came from.

        A finding that names a ``setting`` but no line points at the line where that setting is
        written in its file (the keyword in a factory's source, the key in a config file); a
        factory's ``def`` line stays the fallback.
        """
        origin = ctx.setup.origin
        spelling = ctx.setup.spelling
        if spelling is not None:  # a framework config: its key, that key's line, hints in its keys
            setting, key_line = spelling.setting(setting)
            line = line if line is not None else key_line
            hint = spelling.hint(hint if hint is not None else self.hint)
        fallback = None
        if file is None:
            file, fallback = origin.file, origin.line
        if line is None and setting is not None and file is not None:
            from lora_lint.sources.source_lines import setting_line

            line = setting_line(file, setting, origin.line if file == origin.file else None)
        location = Location(
            module=module,
            parameter=parameter,
            adapter=adapter,
            setting=setting,
            file=file,
            line=line if line is not None else fallback,
        )
        return Finding(
            code=self.code,
            name=self.name,
            severity=severity or self.severity,
            message=message,
            location=location,
            hint=hint if hint is not None else self.hint,
            target=ctx.setup.target,
            basis=basis or self.basis,
            evidence=dict(evidence or {}),
        )
