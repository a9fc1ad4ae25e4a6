"""The json-lines reporter: one finding per line, each the same object as in the json format."""

from __future__ import annotations

import json

from lora_lint.report import Report, report_from_dict
from lora_lint.reporters.json import report_json
from lora_lint.reporters.json_lines import JsonLinesReporter
from tests.reporters.helpers import render_text, sample_report


def test_json_lines_writes_one_json_object_per_finding_per_line() -> None:
    lines = render_text(JsonLinesReporter, sample_report()).splitlines()
    assert len(lines) == len(sample_report().findings)
    assert [json.loads(line)["code"] for line in lines] == ["LORA101", "LORA301", "LORA105", "LORA101"]


def test_json_lines_round_trips_to_the_json_formats_findings() -> None:
    report = sample_report()
    lines = render_text(JsonLinesReporter, report).splitlines()
    assert [json.loads(line) for line in lines] == json.loads(report_json(report))["findings"]
    back = report_from_dict({"findings": [json.loads(line) for line in lines], "summary": {"targets": list(report.targets)}})
    assert back.findings == report.findings


def test_json_lines_prints_nothing_for_a_clean_run() -> None:
    assert render_text(JsonLinesReporter, Report(targets=("t",))) == ""
