"""A report with every kind of finding location, for the reporter tests (no model needed)."""

from __future__ import annotations

import io
from pathlib import Path

from lora_lint.findings import Attachment, Basis, Finding, Location, Note, Severity
from lora_lint.linting import Linter
from lora_lint.report import Report
from lora_lint.reporters._base import ReportMeta, Reporter, render

ROOT = Path("/work/project")


def finding(code: str = "LORA101", severity: Severity = Severity.ERROR, target: str = "train.py:build", **loc) -> Finding:
    names = {"LORA101": "target-unmatched", "LORA301": "alpha-rank-ratio", "LORA105": "target-overbroad"}
    return Finding(
        code=code,
        name=names.get(code, "some-rule"),
        severity=severity,
        message=f"message of {code}",
        location=Location(**loc),
        hint=f"hint of {code}",
        target=target,
        basis=Basis.STRUCTURE,
        evidence={"closest": ("v_proj",), "ratio": 2.5, "codes": {"b", "a"}},
    )


def sample_report() -> Report:
    findings = (
        finding(file="train.py", line=12, setting="target_modules: 'value'", adapter="default"),
        finding("LORA301", Severity.WARNING, file="train.py", line=12, module="model.layers.0.self_attn.q_proj"),
        finding("LORA105", Severity.INFO, target="other.py:build", parameter="model.embed_tokens.weight"),
        finding("LORA101", target="runs/a", file="/elsewhere/adapter_config.json", setting="target_modules: 'x,y:z'"),
    )
    notes = (Note("skipped LORA401: needs the probe", "train.py:build"), Note("built on meta", "other.py:build"))
    attachments = (Attachment("train.py:build", "gradient probe", "layer  grad\nq_proj 1e-3"),)
    return Report(findings, notes, attachments, ("train.py:build", "other.py:build", "runs/a"))


def render_text(reporter_cls: type[Reporter], report: Report, color: bool = False) -> str:
    stream = io.StringIO()
    meta = ReportMeta(version="9.9.9", targets=report.targets, rules=Linter().registry.rules, root=ROOT)
    render(reporter_cls(stream, color=color), report, meta)
    return stream.getvalue()
