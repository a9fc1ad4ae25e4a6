"""The github reporter: one workflow command per finding, escaped as GitHub Actions requires."""

from __future__ import annotations

from lora_lint.findings import Severity
from lora_lint.report import Report
from lora_lint.reporters.github import GithubReporter, escape_data, escape_property
from tests.reporters.helpers import finding, render_text, sample_report


def test_github_prints_one_annotation_per_finding_with_file_line_and_code_title() -> None:
    lines = render_text(GithubReporter, sample_report()).splitlines()
    assert lines == [
        "::error file=train.py,line=12,title=LORA101::target-unmatched: message of LORA101%0AFix: hint of LORA101",
        "::warning file=train.py,line=12,title=LORA301::alpha-rank-ratio: model.layers.0.self_attn.q_proj: "
        "message of LORA301%0AFix: hint of LORA301",
        "::notice file=other.py,title=LORA105::target-overbroad: model.embed_tokens.weight: message of LORA105"
        "%0AFix: hint of LORA105",
        "::error file=/elsewhere/adapter_config.json,title=LORA101::target-unmatched: message of LORA101%0AFix: hint of LORA101",
    ]


def test_github_escapes_percent_newlines_and_property_separators() -> None:
    assert escape_data("50% done\r\nnext") == "50%25 done%0D%0Anext"
    assert escape_property("a,b:c%") == "a%2Cb%3Ac%25"
    f = finding(file="dir,with:odd%name.py", line=3, severity=Severity.WARNING)
    out = render_text(GithubReporter, Report((f,), targets=(f.target,)))
    assert out.startswith("::warning file=dir%2Cwith%3Aodd%25name.py,line=3,title=LORA101::")


def test_github_prints_nothing_for_a_clean_run() -> None:
    assert render_text(GithubReporter, Report(targets=("t",))) == ""
