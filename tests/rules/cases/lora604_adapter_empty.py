"""LORA604 cases: a ZeRO-3-style save whose tensors are empty placeholders, and a gathered save."""

from __future__ import annotations

import torch

from tests.saved_adapters import copy_tree, rewrite_tensors, trained_llama

CODE = "LORA604"
PROBE = False


def bad(tmp_path):
    folder = copy_tree(trained_llama(), tmp_path / "adapter")

    def ungathered(tensors):
        for key in tensors:
            tensors[key] = torch.empty(0)  # what a rank holds of a ZeRO-3 partitioned parameter

    rewrite_tensors(folder, ungathered)
    return str(folder)


def good(tmp_path):
    return str(trained_llama())
