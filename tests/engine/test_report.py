"""Report: ordering, exit codes per fail-on, summary counts, the JSON round trip and assert_clean's message."""

from __future__ import annotations

import dataclasses
import json

import pytest

from lora_lint import Finding, Location, Report, Severity, lint
from lora_lint.errors import UsageError
from lora_lint.findings import Attachment, Basis, Note
from lora_lint.report import merge_reports, report_from_dict
from lora_lint.schema import FindingDict, LocationDict, ReportDict, SummaryDict
from tests.tiny_models import llama, lora


def _finding(code: str, severity: Severity, target: str = "a", module: str | None = None, **extra) -> Finding:
    return Finding(
        code=code,
        name=f"rule-{code[-3:]}",
        severity=severity,
        message=f"{code} says something",
        location=Location(module=module, setting=extra.pop("setting", None), file=extra.pop("file", None)),
        hint=f"fix {code}",
        target=target,
        **extra,
    )


W = _finding("LORA301", Severity.WARNING, module="model.layers.1.self_attn.q_proj")
I = _finding("LORA105", Severity.INFO)
E1 = _finding("LORA201", Severity.ERROR, module="model.layers.0.mlp")
E2 = _finding("LORA101", Severity.ERROR, setting="target_modules: 'query'", file="train.py")
E3 = _finding("LORA101", Severity.ERROR, setting="target_modules: 'key'", file="train.py")
OTHER = _finding("LORA101", Severity.ERROR, target="b")


def test_findings_are_ordered_by_target_then_worst_severity_then_code_then_location() -> None:
    report = Report((I, OTHER, W, E1, E2, E3), targets=("a", "b"))
    assert list(report) == [E3, E2, E1, W, I, OTHER]
    assert len(report) == 6
    assert [f.target for f in Report((OTHER, E2), targets=("b", "a"))] == ["b", "a"]


EXIT_CODES = [
    # (findings, fail_on, exit code)
    ((E1, W, I), "error", 1),
    ((W, I), "error", 0),
    ((W, I), "warning", 1),
    ((I,), "warning", 0),
    ((I,), "info", 1),
    ((E1, W, I), "never", 0),
    ((), "info", 0),
    ((W,), Severity.WARNING, 1),
    ((W,), "WARNING", 1),
]


@pytest.mark.parametrize(("findings", "fail_on", "code"), EXIT_CODES)
def test_exit_code_follows_fail_on(findings, fail_on, code) -> None:
    assert Report(findings, targets=("a",)).exit_code(fail_on) == code


def test_without_fail_on_the_reports_own_threshold_applies() -> None:
    assert Report((W,), targets=("a",)).exit_code() == 0
    strict = Report((W,), targets=("a",), fail_on="warning")
    assert strict.exit_code() == 1 and strict.failing() == [W]
    assert strict.exit_code("never") == 0


def test_an_unknown_fail_on_is_a_usage_error_listing_the_choices() -> None:
    with pytest.raises(UsageError, match="error, warning, info, never, not 'warn'"):
        Report((W,)).exit_code("warn")


def test_summary_counts_by_severity_and_code() -> None:
    summary = Report((E2, E3, E1, W, I, OTHER), targets=("a", "b")).summary()
    assert summary == {
        "targets": ["a", "b"],
        "total": 6,
        "by_severity": {"error": 4, "warning": 1, "info": 1},
        "by_code": {"LORA101": 3, "LORA105": 1, "LORA201": 1, "LORA301": 1},
    }
    assert list(summary["by_severity"]) == ["error", "warning", "info"]
    assert Report().summary()["by_severity"] == {"error": 0, "warning": 0, "info": 0}


def test_to_dict_has_exactly_the_declared_json_shape() -> None:
    data = Report((E2,), (Note("probe skipped", "a", "LORA401"),), targets=("a",)).to_dict()
    assert set(data) == set(ReportDict.__annotations__)
    assert set(data["findings"][0]) == set(FindingDict.__annotations__)
    assert set(data["findings"][0]["location"]) == set(LocationDict.__annotations__)
    assert set(data["summary"]) == set(SummaryDict.__annotations__)
    assert data["findings"][0]["severity"] == "error" and data["findings"][0]["basis"] == "structure"


def test_a_report_survives_a_json_round_trip() -> None:
    finding = dataclasses.replace(E2, basis=Basis.CONFIG, evidence={"entry": "query", "closest": ["q_proj"]})
    report = Report(
        (finding, W, OTHER),
        (Note("skipped LORA4: needs the probe", "a"), Note("built on the meta device", "b", "LORA601")),
        (Attachment("a", "gradient table", "layer  grad\nq_proj 0.1", {"rows": 1}),),
        targets=("a", "b"),
    )
    back = report_from_dict(json.loads(json.dumps(report.to_dict())))
    assert back == report
    assert back.findings[0].evidence == {"entry": "query", "closest": ["q_proj"]}
    assert back.findings[0].basis is Basis.CONFIG
    assert back.attachments[0].data == {"rows": 1}


def test_a_real_lint_report_round_trips_and_puts_errors_first() -> None:
    model = lora(llama(), target_modules=["q_proj", "query"], modules_to_save=["head"])
    report = lint(model, probe=False, select=["LORA1"])
    assert [f.code for f in report] == ["LORA101", "LORA104"]
    assert report.exit_code() == 1 and report.exit_code("never") == 0
    assert report_from_dict(json.loads(json.dumps(report.to_dict()))) == report


def test_assert_clean_lists_code_location_message_and_fix() -> None:
    report = Report((E2, W, I), (), (Attachment("a", "gradient table", "q_proj ok"),), targets=("a",))
    with pytest.raises(AssertionError) as info:
        report.assert_clean()
    text = str(info.value)
    assert text.startswith("lora-lint found 1 problem(s) at or above error:")
    assert "LORA101 [error] rule-101 at train.py target_modules: 'query'" in text
    assert "    LORA101 says something" in text and "    fix: fix LORA101" in text
    assert "LORA301" not in text and "gradient table (a):\nq_proj ok" in text
    with pytest.raises(AssertionError, match="2 problem"):
        report.assert_clean("warning")
    report.assert_clean("never")
    Report((W, I), targets=("a",)).assert_clean()


def test_assert_clean_uses_the_threshold_a_front_end_set() -> None:
    with pytest.raises(AssertionError, match="at or above warning"):
        Report((W,), targets=("a",), fail_on="warning").assert_clean()


def test_merging_keeps_each_targets_order_and_all_notes() -> None:
    first = Report((E1,), (Note("n1", "a"),), targets=("a",))
    second = Report((OTHER, W), (Note("n2", "b"),), targets=("b", "a"))
    merged = merge_reports([first, second])
    assert merged.targets == ("a", "b")
    assert list(merged) == [E1, W, OTHER]
    assert [n.message for n in merged.notes] == ["n1", "n2"]
