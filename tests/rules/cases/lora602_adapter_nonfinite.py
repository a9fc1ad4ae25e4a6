"""LORA602 cases: one NaN written into a trained adapter's lora_B, and the adapter as trained."""

from __future__ import annotations

from tests.saved_adapters import copy_tree, rewrite_tensors, trained_llama

CODE = "LORA602"
PROBE = False


def bad(tmp_path):
    folder = copy_tree(trained_llama(), tmp_path / "adapter")

    def poison(tensors):
        tensors["base_model.model.model.layers.1.self_attn.v_proj.lora_B.weight"][3, 2] = float("nan")

    rewrite_tensors(folder, poison)
    return str(folder)


def good(tmp_path):
    return str(trained_llama())
