"""LORA609 cases: a run whose last checkpoint kept one rank's half of a lora_B, and a run trained throughout."""

from __future__ import annotations

from tests.saved_adapters import copy_tree, rewrite_tensors, training_run

CODE = "LORA609"
PROBE = False


def bad(tmp_path):
    run = copy_tree(training_run(steps=(10, 20)), tmp_path / "run")

    def keep_rank0_shard(tensors):
        key = next(k for k in tensors if "layers.0.self_attn.q_proj.lora_B" in k)
        rows = tensors[key].shape[0]
        tensors[key][rows // 2 :] = 0

    rewrite_tensors(run / "checkpoint-20", keep_rank0_shard)
    return str(run)


def good(tmp_path):
    return str(training_run(steps=(10, 20)))
