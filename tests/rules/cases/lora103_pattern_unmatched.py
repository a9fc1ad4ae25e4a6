"""LORA103 cases: layers_to_transform reaching past a 2-layer Llama vs indexes inside it."""

from __future__ import annotations

from tests.tiny_models import llama, lora

CODE = "LORA103"


def bad(tmp_path):
    return lora(llama(), layers_to_transform=[0, 1, 2, 3], layers_pattern="layers")


def good(tmp_path):
    return lora(llama(), layers_to_transform=[0, 1], layers_pattern="layers", rank_pattern={"q_proj": 16})
