"""The gitlab reporter: valid by GitLab's Code Quality schema; fingerprints stable and free of line numbers."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import jsonschema

from lora_lint.report import Report
from lora_lint.reporters.gitlab import GitlabReporter
from tests.reporters.helpers import finding, render_text, sample_report

SCHEMA = json.loads((Path(__file__).parent / "data" / "gitlab-code-quality.schema.json").read_text())


def issues_of(report: Report) -> list[dict]:
    issues = json.loads(render_text(GitlabReporter, report))
    jsonschema.Draft7Validator(SCHEMA).validate(issues)
    return issues


def test_gitlab_validates_and_maps_code_severity_path_and_line() -> None:
    issues = issues_of(sample_report())
    assert [i["check_name"] for i in issues] == ["LORA101", "LORA301", "LORA105", "LORA101"]
    assert [i["severity"] for i in issues] == ["critical", "major", "info", "critical"]
    assert issues[0]["location"] == {"path": "train.py", "lines": {"begin": 12}}
    # no file on the finding: the factory file of its TARGET, line 1
    assert issues[2]["location"] == {"path": "other.py", "lines": {"begin": 1}}
    assert issues[0]["description"] == "target-unmatched: target_modules: 'value': message of LORA101 Fix: hint of LORA101"


def test_gitlab_fingerprints_are_stable_distinct_and_ignore_lines() -> None:
    first = [i["fingerprint"] for i in issues_of(sample_report())]
    assert first == [i["fingerprint"] for i in issues_of(sample_report())]
    assert len(set(first)) == len(first)
    f = finding(file="train.py", line=12)
    moved = dataclasses.replace(f, location=dataclasses.replace(f.location, line=40), message="reworded")
    assert issues_of(Report((f,)))[0]["fingerprint"] == issues_of(Report((moved,)))[0]["fingerprint"]


def test_gitlab_findings_that_differ_only_by_line_still_get_distinct_fingerprints() -> None:
    a, b = finding(file="train.py", line=3), finding(file="train.py", line=9)
    prints = [i["fingerprint"] for i in issues_of(Report((a, b)))]
    assert len(set(prints)) == 2


def test_gitlab_of_a_clean_run_is_an_empty_array() -> None:
    assert issues_of(Report(targets=("t",))) == []
