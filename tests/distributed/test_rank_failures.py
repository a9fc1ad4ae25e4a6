"""A rank of a two-process job (gloo on CPU) that fails early stops every rank at once, with one decision.

Without it the healthy rank would wait in its next collective until the process group's timeout (30
minutes by default). Each test runs one job, bounded far below lora-lint's own wait for a rank that does
not arrive (600 s by default): the healthy rank must stop on the failing rank's message, not on a timeout.
"""

from __future__ import annotations

import time

import pytest

from tests.distributed.launcher import Ran, start_job, wait

FACTORIES = "tests.distributed.factories"
BOUND = 120.0  # seconds for the whole job, start-up of both processes on a busy machine included
MISSING = "data/shard-1.jsonl is missing on this node"


def _job(factory: str, **env: str) -> tuple[list[Ran], float]:
    began = time.monotonic()
    procs = start_job(["-m", "lora_lint", "check", f"{FACTORIES}:{factory}"], env=env)
    ranks = [wait(p, BOUND) for p in procs]
    return ranks, time.monotonic() - began


def _error(run: Ran) -> str:
    lines = run.err.strip().splitlines()
    assert lines and "Traceback" not in run.err, run.err[-2000:]
    return lines[-1]


@pytest.mark.parametrize("factory", ["fails_on_rank_one", "fails_before_joining_on_rank_one"])
def test_a_factory_that_raises_on_one_rank_stops_both_with_exit_2(factory: str) -> None:
    (zero, one), took = _job(factory)
    assert zero.rc == one.rc == 2, (zero.err[-1500:], one.err[-1500:])
    assert MISSING in _error(one) and f"{factory}" in _error(one)
    assert _error(zero).startswith("lora-lint: error: rank 1 of 2 stopped: cannot load"), zero.err[-1500:]
    assert MISSING in _error(zero) and zero.out == ""
    assert took < BOUND, took


def test_a_rule_that_crashes_on_one_rank_stops_both_with_exit_2() -> None:
    (zero, one), took = _job("crashes_a_rule_on_rank_one")
    assert zero.rc == one.rc == 2, (zero.err[-1500:], one.err[-1500:])
    assert "crashed" in _error(one) and "parameters unavailable on this rank" in _error(one)
    assert _error(zero).startswith("lora-lint: error: rank 1 of 2 stopped: rule LORA"), zero.err[-1500:]
    assert took < BOUND, took


def test_a_rank_that_dies_silently_is_given_up_on_after_the_timeout() -> None:
    (zero, one), took = _job("dies_on_rank_one", LORA_LINT_RANK_TIMEOUT="5")
    assert one.rc == 9
    assert zero.rc == 2, zero.err[-1500:]
    assert "rank 1 of 2 did not reach the same step of the lint within 5 s" in _error(zero), zero.err[-1500:]
    assert took < BOUND, took
