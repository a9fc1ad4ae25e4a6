"""``LoraLintCallback`` in a real two-process DDP ``Trainer`` run (gloo on CPU): rank 0 prints the report,
and both ranks take the same decision: a bug on one rank stops both, a correct run finishes on both.

Both jobs (four processes) run at once, bounded by a timeout.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.distributed.launcher import Ran, start_job, wait

TIMEOUT = 240

CASES = ("clean", "masked_on_rank_1")


@pytest.fixture(scope="module")
def jobs() -> dict[str, list[Ran]]:
    started = {case: start_job(["-m", "tests.distributed.guarded_training", case]) for case in CASES}
    return {case: [wait(p, TIMEOUT) for p in procs] for case, procs in started.items()}


def _outcome(run: Ran) -> dict[str, Any]:
    assert run.rc == 0 and run.out.strip(), run.err[-3000:]
    return dict(json.loads(run.out.strip().splitlines()[-1]))


def test_a_correct_run_finishes_on_both_ranks_without_findings(jobs: dict[str, list[Ran]]) -> None:
    zero, one = (_outcome(r) for r in jobs["clean"])
    assert zero["steps"] == one["steps"] == 3
    assert zero["codes"] == one["codes"] == []
    assert "lora_lint" not in jobs["clean"][0].err and "lora_lint" not in jobs["clean"][1].err


def test_a_bug_on_one_rank_stops_both_and_rank_0_alone_prints_it(jobs: dict[str, list[Ran]]) -> None:
    zero, one = (_outcome(r) for r in jobs["masked_on_rank_1"])
    assert zero["steps"] == one["steps"] == 1  # "stop" ends both after the step under way
    assert "LORA701" in zero["codes"] and zero["codes"] == one["codes"]  # one report for the job
    rank0, rank1 = (r.err for r in jobs["masked_on_rank_1"])
    assert "LORA701 [error] labels-unsupervised" in rank0 and "training stops" in rank0
    assert "LORA701" not in rank1 and "training stops" not in rank1
