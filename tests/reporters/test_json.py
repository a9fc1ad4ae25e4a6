"""The json reporter: the shape declared in lora_lint.schema, and a lossless round trip."""

from __future__ import annotations

import json

from lora_lint.report import Report, report_from_dict
from lora_lint.reporters.json import JsonReporter
from lora_lint.schema import AttachmentDict, FindingDict, LocationDict, NoteDict, ReportDict, SummaryDict
from tests.reporters.helpers import render_text, sample_report


def test_json_output_has_exactly_the_keys_of_the_schema_typeddicts() -> None:
    data = json.loads(render_text(JsonReporter, sample_report()))
    assert set(data) == set(ReportDict.__annotations__)
    assert set(data["summary"]) == set(SummaryDict.__annotations__)
    for item in data["findings"]:
        assert set(item) == set(FindingDict.__annotations__)
        assert set(item["location"]) == set(LocationDict.__annotations__)
    assert all(set(n) == set(NoteDict.__annotations__) for n in data["notes"])
    assert all(set(a) == set(AttachmentDict.__annotations__) for a in data["attachments"])
    assert data["summary"]["by_severity"] == {"error": 2, "warning": 1, "info": 1}
    assert data["summary"]["by_code"] == {"LORA101": 2, "LORA105": 1, "LORA301": 1}


def test_json_round_trips_through_report_from_dict() -> None:
    report = sample_report()
    text = render_text(JsonReporter, report)
    back = report_from_dict(json.loads(text))
    assert back == report
    assert render_text(JsonReporter, back) == text


def test_json_writes_evidence_that_json_cannot_hold_natively() -> None:
    data = json.loads(render_text(JsonReporter, sample_report()))
    assert data["findings"][0]["evidence"] == {"closest": ["v_proj"], "ratio": 2.5, "codes": ["a", "b"]}


def test_json_of_a_clean_report_still_has_every_key() -> None:
    data = json.loads(render_text(JsonReporter, Report(targets=("t",))))
    assert data["findings"] == [] and data["summary"]["total"] == 0
