"""``lint()`` called by a training script inside its own process group (two gloo processes on CPU).

Every rank gets the report of the whole job (what any rank found), so each rank decides alike, and those
findings are the ones one process finds on the same model; a failure on one rank raises on every rank.
"""

from __future__ import annotations

from typing import Any

import pytest

from tests.distributed.launcher import json_lines_per_rank

TIMEOUT = 240
SAME_AS_ONE_PROCESS = ("clean", "dead", "leak")


@pytest.fixture(scope="module")
def calls() -> list[dict[str, dict[str, Any]]]:
    """Per rank, per lint() call: the JSON line the rank printed."""
    return json_lines_per_rank("tests.distributed.lint_job", "call", TIMEOUT)


def _single(call: str) -> list[list[str]]:
    import lora_lint
    from tests.distributed.factories import _dead, _leak
    from tests.tiny_models import llama, lora

    make = {"clean": lambda: lora(llama()), "dead": lambda: _dead(lora(llama())), "leak": lambda: _leak(lora(llama()))}
    return [[f.code, f.message] for f in lora_lint.lint(make[call]()).findings]


@pytest.mark.parametrize("call", SAME_AS_ONE_PROCESS)
def test_each_rank_gets_what_one_process_finds(calls: list[dict[str, dict[str, Any]]], call: str) -> None:
    zero, one = calls
    assert sorted(zero[call]["findings"]) == sorted(_single(call)), zero[call]
    assert one[call]["findings"] == zero[call]["findings"] and one[call]["exit"] == zero[call]["exit"]


def test_what_one_rank_sees_is_in_every_rank_report(calls: list[dict[str, dict[str, Any]]]) -> None:
    zero, one = calls
    found = zero["rank_zero_only"]["findings"]
    assert ["LORA805", "model.layers.0.self_attn.q_proj (adapter 'default') receives gradient on rank 0 only, of 2 ranks"] in found
    assert one["rank_zero_only"]["findings"] == found and zero["rank_zero_only"]["exit"] == one["rank_zero_only"]["exit"] == 1


def test_a_usage_error_on_one_rank_raises_on_both_and_the_group_stays_usable(calls: list[dict[str, dict[str, Any]]]) -> None:
    zero, one = calls
    assert one["one_rank_fails"]["error"] == "UsageError: lint() needs a model (or a Setup), got None"
    assert zero["one_rank_fails"]["error"] == (
        "RankFailed: rank 1 of 2 stopped: lint() needs a model (or a Setup), got None"
    )
    assert zero["after_failure"] == {**one["after_failure"], "rank": 0}
    assert zero["after_failure"]["exit"] == 0
