"""Run the selected rules over setups and gather one report; skips are notes, crashes are RuleErrors."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING

from lora_lint.context import RuleContext, Setup
from lora_lint.errors import LoraLintError, RuleError
from lora_lint.findings import Attachment, Finding, Note
from lora_lint.report import Report
from lora_lint.rules._base import NEED_LABELS, Needs
from lora_lint.selection import is_selected
from lora_lint.settings import Settings

if TYPE_CHECKING:
    import pluggy

    from lora_lint.rules._base import Rule


#: Rules about saved files and runs simply do not apply to a live model: no note for skipping them.
_SILENT_SKIPS = Needs.ARTIFACT | Needs.RUN
#: Rules about a live model (its layers, weights, a forward pass) do not apply to a saved adapter.
_LIVE_ONLY = Needs.MODEL | Needs.WEIGHTS | Needs.PROBE


def selected_rules(rules: Iterable[type[Rule]], settings: Settings) -> list[type[Rule]]:
    return [
        r
        for r in sorted(rules, key=lambda r: r.code)
        if is_selected(r.code, settings.select, settings.ignore, settings.extend_select)
    ]


def lint_setup(
    setup: Setup, rules: Sequence[type[Rule]], settings: Settings, pm: pluggy.PluginManager | None = None
) -> Report:
    """Lint one setup with the given (already selected) rules."""
    ctx = RuleContext(setup, settings)
    provides = setup.provides(settings)
    findings: list[Finding] = []
    skipped: dict[Needs, list[str]] = {}
    inference_skipped: list[str] = []
    for rule_cls in rules:
        if settings.intent == "inference" and rule_cls.training_only:
            inference_skipped.append(rule_cls.code)
            continue
        missing = rule_cls.needs & ~provides
        if missing:
            first = next(n for n in Needs if n in missing and n in NEED_LABELS)
            skipped.setdefault(first, []).append(rule_cls.code)
            continue
        try:
            findings.extend(rule_cls().check(ctx))
        except LoraLintError:
            raise
        except Exception as exc:  # a rule bug: name the rule and the target, keep the cause
            raise RuleError(rule_cls.code, setup.target, exc) from exc
    notes = [*setup.notes, *ctx.notes]
    silent = _SILENT_SKIPS
    if setup.model is None and (setup.adapter_dirs or setup.checkpoints):
        silent |= _LIVE_ONLY  # a saved adapter has no live model: those rules cannot apply, nothing to fix
    for need, codes in skipped.items():
        if need in silent:
            continue
        notes.append(Note(f"skipped {', '.join(codes)}: needs {NEED_LABELS[need]}", setup.target))
    if inference_skipped:
        notes.append(
            Note(f"skipped training-only rules for intent=inference: {', '.join(inference_skipped)}", setup.target)
        )
    attachments: list[Attachment] = []
    if pm is not None:
        for result in pm.hook.lora_lint_attachments(ctx=ctx, findings=tuple(findings)):
            attachments.extend(result or ())
    return Report(tuple(findings), tuple(notes), tuple(attachments), (setup.target,))


def lint_setups(
    setups: Iterable[Setup], rules: Iterable[type[Rule]], settings: Settings, pm: pluggy.PluginManager | None = None
) -> Report:
    from lora_lint.report import merge_reports

    chosen = selected_rules(rules, settings)
    return merge_reports(lint_setup(s, chosen, settings, pm) for s in setups)
