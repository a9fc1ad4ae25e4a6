"""``check --statistics`` counts findings per code; ``--exit-zero`` reports them and exits 0."""

from __future__ import annotations

import json

from lora_lint.cli.statistics import statistics_table
from lora_lint.report import Report
from tests.cli.conftest import run_cli
from tests.reporters.helpers import sample_report

TARGET = ("check", "examples/wrong_targets.py:build", "--no-probe")


def test_statistics_lists_codes_most_frequent_first_with_name_and_severity() -> None:
    assert statistics_table(sample_report()).splitlines() == [
        "2  LORA101  target-unmatched  [error]",
        "1  LORA105  target-overbroad  [info]",
        "1  LORA301  alpha-rank-ratio  [warning]",
    ]
    assert statistics_table(Report()) == ""


def test_check_statistics_prints_counts_instead_of_findings_and_keeps_the_exit_status() -> None:
    full = run_cli(*TARGET, "--format", "json")
    codes = [f["code"] for f in json.loads(full.out)["findings"]]
    assert "LORA101" in codes
    run = run_cli(*TARGET, "--statistics")
    assert run.rc == full.rc == 1
    rows = [line.split() for line in run.out.splitlines()]
    assert {row[1]: int(row[0]) for row in rows} == {c: codes.count(c) for c in set(codes)}


def test_exit_zero_reports_everything_and_exits_0_like_fail_on_never() -> None:
    run = run_cli(*TARGET, "--exit-zero", "--format", "json")
    assert run.rc == 0, run.err
    assert json.loads(run.out)["findings"]
    never = run_cli(*TARGET, "--fail-on", "never", "--format", "json")
    assert never.rc == 0 and never.out == run.out
