"""The sarif reporter: valid SARIF 2.1.0 by the official schema; every result names a file."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest

from lora_lint.findings import Severity
from lora_lint.report import Report
from lora_lint.reporters.sarif import SarifReporter
from tests.reporters.helpers import finding, render_text, sample_report

SCHEMA = json.loads((Path(__file__).parent / "data" / "sarif-schema-2.1.0.json").read_text())


def sarif_of(report: Report) -> dict:
    log = json.loads(render_text(SarifReporter, report))
    jsonschema.Draft4Validator(SCHEMA).validate(log)
    return log


def test_sarif_validates_against_the_official_schema_and_every_result_has_a_file() -> None:
    log = sarif_of(sample_report())
    results = log["runs"][0]["results"]
    assert len(results) == 4
    for result in results:
        assert result["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]


def test_sarif_maps_severity_rules_files_lines_and_module_paths() -> None:
    run = sarif_of(sample_report())["runs"][0]
    assert [r["id"] for r in run["tool"]["driver"]["rules"]] == ["LORA101", "LORA105", "LORA301"]
    rule101 = run["tool"]["driver"]["rules"][0]
    assert rule101["name"] == "target-unmatched"
    assert rule101["defaultConfiguration"] == {"level": "error"}
    assert "## Why is this bad?" in rule101["help"]["markdown"]
    first, warning, info, outside = run["results"]
    assert (first["ruleId"], first["ruleIndex"], first["level"]) == ("LORA101", 0, "error")
    assert first["locations"][0]["physicalLocation"] == {
        "artifactLocation": {"uri": "train.py", "uriBaseId": "%SRCROOT%"},
        "region": {"startLine": 12},
    }
    assert first["message"]["text"] == "message of LORA101\nFix: hint of LORA101"
    assert first["properties"]["setting"] == "target_modules: 'value'"
    assert warning["level"] == "warning"
    assert warning["locations"][0]["logicalLocations"] == [
        {"fullyQualifiedName": "model.layers.0.self_attn.q_proj", "kind": "module"}
    ]
    # no file on the finding: the factory file of its TARGET, and the parameter as a logical location
    assert info["level"] == "note"
    assert info["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] == "other.py"
    assert info["locations"][0]["logicalLocations"][0]["kind"] == "member"
    # a file outside the root: an absolute file URI
    assert outside["locations"][0]["physicalLocation"]["artifactLocation"] == {"uri": "file:///elsewhere/adapter_config.json"}


@pytest.mark.parametrize("target", ["pkg.module:build", "runs/exp1", "train.py:build"])
def test_sarif_results_without_a_file_fall_back_to_the_target(target: str) -> None:
    log = sarif_of(Report((finding(target=target, severity=Severity.WARNING),), targets=(target,)))
    uri = log["runs"][0]["results"][0]["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
    assert uri == {"pkg.module:build": "pkg.module", "runs/exp1": "runs/exp1", "train.py:build": "train.py"}[target]


def test_sarif_fingerprints_are_stable_and_distinct() -> None:
    a = sarif_of(sample_report())["runs"][0]["results"]
    b = sarif_of(sample_report())["runs"][0]["results"]
    prints = [r["partialFingerprints"]["loraLintFinding/v1"] for r in a]
    assert prints == [r["partialFingerprints"]["loraLintFinding/v1"] for r in b]
    assert len(set(prints)) == len(prints)


def test_sarif_of_a_clean_run_is_valid_with_no_results() -> None:
    log = sarif_of(Report(targets=("train.py:build",)))
    assert log["runs"][0]["results"] == []
    assert log["version"] == "2.1.0"
