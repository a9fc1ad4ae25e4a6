"""LORA603 cases: one lora_A saved with rank 4 in an r=8 adapter, and the adapter as trained."""

from __future__ import annotations

from tests.saved_adapters import copy_tree, rewrite_tensors, trained_llama

CODE = "LORA603"
PROBE = False


def bad(tmp_path):
    folder = copy_tree(trained_llama(), tmp_path / "adapter")

    def shrink(tensors):
        key = "base_model.model.model.layers.0.self_attn.q_proj.lora_A.weight"
        tensors[key] = tensors[key][:4].clone()

    rewrite_tensors(folder, shrink)
    return str(folder)


def good(tmp_path):
    return str(trained_llama())

