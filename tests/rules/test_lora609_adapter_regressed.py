"""LORA609 on real training runs saved by peft: re-zeroed layers, one rank's shard kept, and trained runs."""

from __future__ import annotations

import pytest

from lora_lint.facts.regression import shard_split
from tests.rules.runner import run_case
from tests.saved_adapters import copy_tree, rewrite_tensors, training_run


def _run(tmp_path, edit=None, steps=(10, 20, 30), at="checkpoint-30"):
    run = copy_tree(training_run(alphas=(16,) * len(steps), steps=steps), tmp_path / "run")
    if edit is not None:
        rewrite_tensors(run / at, edit)
    return run


def _b_key(tensors, fragment):
    return next(k for k in tensors if fragment in k and "lora_B" in k)


def _findings(run, code="LORA609"):
    return [f for f in run_case(str(run), probe=False).findings if f.code == code]


def test_it_reports_a_layer_whose_lora_b_is_back_at_zero(tmp_path) -> None:
    run = _run(tmp_path, lambda t: t[_b_key(t, "layers.1.self_attn.v_proj")].zero_())
    (finding,) = _findings(run)
    assert finding.target.endswith("checkpoint-30")
    assert "checkpoint-20 had trained them" in finding.message
    assert finding.location.module == "model.layers.1.self_attn.v_proj"
    assert finding.evidence["earlier"] == "checkpoint-20"


@pytest.mark.parametrize(("world", "lost"), [(2, (1,)), (4, (1, 2, 3))])
def test_it_names_the_zero_row_blocks_of_a_sharded_save(tmp_path, world, lost) -> None:
    def keep_rank0(tensors):
        key = _b_key(tensors, "layers.0.self_attn.q_proj")
        tensors[key][tensors[key].shape[0] // world :] = 0

    (finding,) = _findings(_run(tmp_path, keep_rank0))
    assert finding.evidence == {"rows": 64, "world_size": world, "zero_blocks": list(lost)}
    assert f"{world}-process sharded job" in finding.message
    assert finding.location.parameter.endswith("q_proj.lora_B.weight")


def test_a_run_trained_throughout_is_quiet(tmp_path) -> None:
    assert _findings(_run(tmp_path)) == []


def test_scattered_zero_rows_are_not_a_shard_gap(tmp_path) -> None:
    def zero_two_rows(tensors):
        key = _b_key(tensors, "layers.0.self_attn.q_proj")
        tensors[key][3] = 0
        tensors[key][40] = 0

    assert _findings(_run(tmp_path, zero_two_rows)) == []


def test_a_layer_zero_in_both_checkpoints_is_left_to_lora601(tmp_path) -> None:
    run = copy_tree(training_run(alphas=(16, 16), steps=(10, 20)), tmp_path / "run")
    for stage in ("checkpoint-10", "checkpoint-20"):
        rewrite_tensors(run / stage, lambda t: t[_b_key(t, "layers.1.self_attn.q_proj")].zero_())
    report = run_case(str(run), probe=False)
    assert "LORA609" not in report.codes
    assert "LORA601" in report.codes


@pytest.mark.parametrize(
    ("rows", "expected"),
    [
        ((False, False, True, True), (2, (1,))),
        ((True, True, False, False), (2, (0,))),
        ((False, True, True, True), (4, (1, 2, 3))),
        ((False, False, False, False), None),
        ((True, True, True, True), None),
        ((False, True, False, True), (4, (1, 3))),
        ((False, False, True, False, False), None),
    ],
)
def test_shard_split_takes_the_smallest_world_size_that_explains_the_zero_rows(rows, expected) -> None:
    assert shard_split(rows) == expected
