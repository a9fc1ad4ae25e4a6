"""The junit reporter: valid by the JUnit XSD; one testcase per target and rule; failures carry message and fix."""

from __future__ import annotations

import io
from pathlib import Path
from xml.etree import ElementTree as ET

import xmlschema

from lora_lint.findings import Note, Severity
from lora_lint.plugins import collect_registry, get_plugin_manager
from lora_lint.report import Report
from lora_lint.reporters._base import ReportMeta, render
from lora_lint.reporters.junit import JunitReporter
from tests.reporters.helpers import ROOT, finding, render_text, sample_report

SCHEMA = xmlschema.XMLSchema(Path(__file__).parent / "data" / "junit.xsd")


def junit_of(report: Report, checked: tuple[str, ...] = ()) -> ET.Element:
    if checked:
        stream = io.StringIO()
        rules = collect_registry(get_plugin_manager()).rules
        render(JunitReporter(stream, color=False), report, ReportMeta("9.9.9", report.targets, rules, ROOT, checked))
        text = stream.getvalue()
    else:
        text = render_text(JunitReporter, report)
    SCHEMA.validate(text)
    return ET.fromstring(text.encode())


def test_junit_validates_and_has_one_suite_per_target_and_one_case_per_rule() -> None:
    root = junit_of(sample_report())
    assert [s.get("name") for s in root.iter("testsuite")] == ["train.py:build", "other.py:build", "runs/a"]
    first = root.find("testsuite")
    assert first is not None
    assert [c.get("name") for c in first.iter("testcase")] == ["LORA101 target-unmatched", "LORA301 alpha-rank-ratio"]
    assert (root.get("tests"), root.get("failures")) == ("4", "2")


def test_junit_failures_carry_message_and_fix_and_findings_below_fail_on_pass() -> None:
    root = junit_of(sample_report())
    cases = {(c.get("classname"), c.get("name")): c for c in root.iter("testcase")}
    failure = cases[("train.py:build", "LORA101 target-unmatched")].find("failure")
    assert failure is not None
    assert failure.get("message") == "message of LORA101"
    assert failure.text is not None and "fix: hint of LORA101" in failure.text
    assert "train.py:12" in failure.text
    warning = cases[("train.py:build", "LORA301 alpha-rank-ratio")]
    assert warning.find("failure") is None  # below the default fail-on error
    out = warning.find("system-out")
    assert out is not None and out.text is not None and "message of LORA301" in out.text


def test_junit_follows_the_reports_fail_on() -> None:
    report = Report(sample_report().findings, targets=sample_report().targets, fail_on="info")
    assert junit_of(report).get("failures") == "4"
    assert junit_of(Report(sample_report().findings, targets=sample_report().targets, fail_on="never")).get("failures") == "0"


def test_junit_lists_rules_that_ran_as_passing_and_skipped_rules_as_skipped() -> None:
    f = finding(file="train.py", line=3)
    report = Report((f,), (Note("needs the probe", f.target, code="LORA401"),), targets=(f.target,))
    root = junit_of(report, checked=("LORA101", "LORA105", "LORA401"))
    cases = {c.get("name"): c for c in root.iter("testcase")}
    assert list(cases) == ["LORA101 target-unmatched", "LORA105 target-overbroad", "LORA401 " + cases_name("LORA401")]
    assert list(cases["LORA105 target-overbroad"]) == []
    skipped = cases["LORA401 " + cases_name("LORA401")].find("skipped")
    assert skipped is not None and skipped.get("message") == "needs the probe"
    assert (root.get("tests"), root.get("failures"), root.get("skipped")) == ("3", "1", "1")


def cases_name(code: str) -> str:
    return collect_registry(get_plugin_manager()).rules[code].name


def test_junit_several_findings_of_one_rule_make_one_failing_case_listing_all() -> None:
    a = finding(module="a.q_proj")
    b = finding(module="b.q_proj")
    root = junit_of(Report((a, b), targets=(a.target,)))
    cases = list(root.iter("testcase"))
    assert len(cases) == 1
    failure = cases[0].find("failure")
    assert failure is not None and failure.get("message") == "message of LORA101 (and 1 more)"
    assert failure.text is not None and "a.q_proj" in failure.text and "b.q_proj" in failure.text


def test_junit_of_a_clean_run_is_valid_with_an_empty_suite_per_target() -> None:
    root = junit_of(Report(targets=("train.py:build",)))
    assert [(s.get("name"), s.get("tests")) for s in root.iter("testsuite")] == [("train.py:build", "0")]


def test_junit_escapes_markup_and_drops_characters_xml_cannot_hold() -> None:
    f = finding(severity=Severity.ERROR)
    odd = type(f)(**{**f.__dict__, "message": "a <b> & \"c\" \x1b[31m"})
    root = junit_of(Report((odd,), targets=(odd.target,)))
    failure = root.find(".//failure")
    assert failure is not None and failure.get("message") == 'a <b> & "c" [31m'
