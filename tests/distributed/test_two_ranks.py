"""``lora-lint check`` in a job of two processes on CPU (gloo), launched the way torchrun launches its
workers, against one process on the same models: same findings, one report, one exit status.

Every process runs at once, bounded by a timeout, so the whole module costs one multi-target lint.
"""

from __future__ import annotations

import json
import subprocess
from typing import Any

import pytest

from tests.distributed.ranks import Ran, free_port, job_env, rank_env, start, wait

FACTORIES = "tests.distributed.factories"
SETUPS = ("clean", "dead", "leak")
WRAPPERS = ("ddp", "fsdp")
DISAGREE = ("seeded_per_rank", "grad_on_rank_zero")


def _start(targets: list[str], env: dict[str, str]) -> subprocess.Popen[str]:
    return start(["-m", "lora_lint", "check", "-f", "json", *(f"{FACTORIES}:{t}" for t in targets)], env)


@pytest.fixture(scope="module")
def runs() -> tuple[list[Ran], Ran]:
    """(the two ranks of one job over every setup, one process over the unwrapped setups)."""
    targets = [f"{w}_{s}" for w in WRAPPERS for s in SETUPS] + list(DISAGREE)
    job = job_env(2, free_port())
    ranks = [_start(targets, {**job, **rank_env(r)}) for r in (0, 1)]
    single = _start([f"ddp_{s}" for s in SETUPS], {})
    return [wait(p) for p in ranks], wait(single)


def _findings(run: Ran) -> dict[str, list[tuple[Any, ...]]]:
    """Per setup name (``clean``, ``dead``...): its findings without the target they were found in."""
    assert run.out.strip(), run.err[-3000:]
    found: dict[str, list[tuple[Any, ...]]] = {}
    for f in json.loads(run.out)["findings"]:
        setup = f["target"].split(":", 1)[1]
        # the factory's own line differs between ddp_dead and fsdp_dead: the rest must be equal
        where = {k: v for k, v in f["location"].items() if k != "line"}
        found.setdefault(setup, []).append((f["code"], f["message"], json.dumps(where, sort_keys=True)))
    return found


def test_rank_zero_prints_one_report_and_both_ranks_exit_alike(runs: tuple[list[Ran], Ran]) -> None:
    (zero, one), _ = runs
    assert one.out == "", one.out
    targets = json.loads(zero.out)["summary"]["targets"]
    assert (targets if isinstance(targets, int) else len(targets)) == len(WRAPPERS) * len(SETUPS) + len(DISAGREE)
    assert zero.rc == one.rc == 1, (zero.err[-2000:], one.err[-2000:])


@pytest.mark.parametrize("wrapper", WRAPPERS)
def test_two_ranks_find_what_one_process_finds(runs: tuple[list[Ran], Ran], wrapper: str) -> None:
    (zero, _), single = runs
    two, one = _findings(zero), _findings(single)
    for setup in SETUPS:
        assert sorted(two.get(f"{wrapper}_{setup}", [])) == sorted(one.get(f"ddp_{setup}", [])), setup
    assert not one.get("ddp_clean")
    assert {c for c, *_ in one["ddp_dead"]} == {"LORA401"}
    assert {"LORA201", "LORA404"} <= {c for c, *_ in one["ddp_leak"]}


def test_ranks_that_disagree_are_reported(runs: tuple[list[Ran], Ran]) -> None:
    (zero, _), _ = runs
    found = _findings(zero)
    seeded = [m for c, m, _ in found["seeded_per_rank"] if c == "LORA805"]
    assert len(seeded) == 1 and "adapter weights differ across the 2 ranks" in seeded[0], found["seeded_per_rank"]
    partial = [m for c, m, _ in found["grad_on_rank_zero"] if c == "LORA805"]
    assert partial == ["model.layers.0.self_attn.q_proj (adapter 'default') receives gradient on rank 0 only, of 2 ranks"]
    # the same models in agreement: DDP or FSDP2 over one seed, every adapter used on both ranks
    assert not [c for setup in ("ddp_clean", "fsdp_clean") for c, *_ in found.get(setup, []) if c == "LORA805"]
