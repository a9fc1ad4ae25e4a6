"""Run the selected rules over setups and gather one report; skips are notes, crashes are RuleErrors."""

from __future__ import annotations

import dataclasses
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
    from lora_lint.suppression import SuppressionFacts


#: Rules about saved files and runs simply do not apply to a live model: no note for skipping them.
_SILENT_SKIPS = Needs.ARTIFACT | Needs.RUN | Needs.LAUNCH
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
    ran: list[str] = []
    #: rules that need the probe and found nothing: they judged only if the probe ran its forward and backward
    probe_quiet: set[str] = set()
    late = [r for r in rules if Needs.SUPPRESSIONS in r.needs]
    for rule_cls in [*(r for r in rules if r not in late), None, *late]:
        if rule_cls is None:  # the rules ran: suppression applies here, once, before anything reads findings
            if not ctx.probe_judged:  # the probe was skipped or failed, and a note says so
                ran = [code for code in ran if code not in probe_quiet]
            findings, ctx.suppressions = _suppress(findings, setup, settings, ran)
            provides |= Needs.SUPPRESSIONS
            continue
        if settings.intent == "inference" and rule_cls.training_only:
            inference_skipped.append(rule_cls.code)
            continue
        missing = rule_cls.needs & ~provides
        if missing:
            first = next(n for n in Needs if n in missing and n in NEED_LABELS)
            skipped.setdefault(first, []).append(rule_cls.code)
            continue
        try:
            found = list(rule_cls().check(ctx))
        except LoraLintError:
            raise
        except Exception as exc:  # a rule bug: name the rule and the target, keep the cause
            raise RuleError(rule_cls.code, setup.target, exc) from exc
        findings.extend(found)
        ran.append(rule_cls.code)
        if Needs.PROBE in rule_cls.needs and not found:
            probe_quiet.add(rule_cls.code)
    notes = [*setup.notes, *ctx.notes]
    silent = _SILENT_SKIPS
    if setup.model is None and (setup.adapter_dirs or setup.checkpoints):
        silent |= _LIVE_ONLY  # a saved adapter has no live model: those rules cannot apply, nothing to fix
    if setup.merged is not None:  # a merged checkpoint holds no LoRA config or layers to judge
        silent |= _LIVE_ONLY | Needs.CONFIG
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
    return Report(tuple(findings), tuple(notes), tuple(attachments), (setup.target,), ran=tuple(ran))


def _suppress(
    findings: list[Finding], setup: Setup, settings: Settings, ran: list[str]
) -> tuple[list[Finding], SuppressionFacts]:
    from lora_lint.suppression import apply_suppressions

    pyproject = next((s for s in settings.sources if s.endswith("pyproject.toml")), None)
    return apply_suppressions(findings, setup.origin, settings.per_module_ignores, ran, pyproject)


def _finding_key(group: str, f: Finding) -> tuple[object, ...]:
    loc = f.location
    return (group, f.code, f.severity, f.message, f.hint, loc.setting, loc.module, loc.parameter, loc.adapter)


def fold_repeats(reports: Sequence[Report], groups: Sequence[str | None]) -> list[Report]:
    """Within a group (the checkpoints of one run, ``Setup.group``), report a finding or note once, at the
    first setup that has it, saying where else it holds: ten checkpoints with one bad alpha are one finding."""
    first: dict[tuple[object, ...], list[str]] = {}
    seen_notes: set[tuple[str, str | None, str]] = set()
    kept: list[tuple[list[Finding], list[Note]]] = []
    for group, report in zip(groups, reports):
        findings: list[Finding] = []
        notes: list[Note] = []
        for f in report.findings:
            key = _finding_key(group, f) if group else None
            if key is not None and key in first:
                first[key].append(f.target)
                continue
            if key is not None:
                first[key] = []
            findings.append(f)
        for n in report.notes:
            if group and (group, n.code, n.message) in seen_notes:
                continue
            if group:
                seen_notes.add((group, n.code, n.message))
            notes.append(n)
        kept.append((findings, notes))
    folded: list[Report] = []
    for group, report, (findings, notes) in zip(groups, reports, kept):
        if group:
            findings = [_also_in(f, first[_finding_key(group, f)]) for f in findings]
        folded.append(dataclasses.replace(report, findings=tuple(findings), notes=tuple(notes)))
    return folded


def _also_in(finding: Finding, others: list[str]) -> Finding:
    if not others:
        return finding
    names = [o.rsplit("/", 1)[-1] for o in others]
    return dataclasses.replace(
        finding,
        message=f"{finding.message} (also in {', '.join(names)})",
        evidence={**finding.evidence, "also_in": list(others)},
    )
