"""lint() on a peft model partitioned by DeepSpeed ZeRO-3, two CPU processes over gloo (DS_ACCELERATOR=cpu).

Each rank holds ``numel() == 0`` parameters and a flat partition; the findings must be the ones one process
finds on the whole model. deepspeed is not a dependency of lora-lint: without it the test is skipped.
The first run on a machine builds DeepSpeed's CPU communication op (about a minute).
"""

from __future__ import annotations

import importlib.util
from typing import Any

import pytest

if importlib.util.find_spec("deepspeed") is None:  # looked up, not imported: this process stays free of it
    pytest.skip("deepspeed is not installed (an optional engine, not a dependency)", allow_module_level=True)

from tests.distributed.launcher import json_lines_per_rank  # noqa: E402
from tests.distributed.zero3_job import SETUPS  # noqa: E402

TIMEOUT = 600


@pytest.fixture(scope="module")
def ranks() -> list[dict[str, dict[str, Any]]]:
    """Per rank, per setup: the JSON line the rank printed."""
    return json_lines_per_rank("tests.distributed.zero3_job", "setup", TIMEOUT)


def _single(setup: str) -> list[list[str]]:
    import lora_lint

    return [[f.code, f.message] for f in lora_lint.lint(SETUPS[setup]()).findings]


def test_each_rank_held_only_an_empty_parameter_and_a_partition(ranks: list[dict[str, dict[str, Any]]]) -> None:
    for rank in ranks:
        for line in rank.values():
            held = line["held"]
            assert held["numel"] == 0 and held["ds_shape"] == [64, 8], held
            assert held["partition"] == 64 * 8 // 2, held


@pytest.mark.parametrize("setup", list(SETUPS))
def test_zero3_finds_what_one_process_finds_on_the_whole_model(ranks: list[dict[str, dict[str, Any]]], setup: str) -> None:
    single = _single(setup)
    for rank in ranks:
        assert sorted(rank[setup]["findings"]) == sorted(single), (setup, rank[setup]["findings"], single)
    assert ranks[0][setup]["exit"] == ranks[1][setup]["exit"]
    codes = {c for c, _ in single}
    if setup == "leak":
        assert {"LORA201", "LORA404"} <= codes
    else:
        assert codes == {"clean": set(), "dead": {"LORA401"}, "values": {"LORA305"}}[setup], single
