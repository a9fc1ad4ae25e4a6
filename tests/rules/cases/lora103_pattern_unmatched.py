"""LORA103 cases: layers_to_transform reaching past a 2-layer Llama vs indexes inside it."""

from __future__ import annotations

from tests.rules.runner import hint_groups
from tests.tiny_models import llama, lora

CODE = "LORA103"


def bad(tmp_path):
    return lora(llama(), layers_to_transform=[0, 1, 2, 3], layers_pattern="layers")


def good(tmp_path):
    return lora(llama(), layers_to_transform=[0, 1], layers_pattern="layers", rank_pattern={"q_proj": 16})


def fixed(tmp_path, findings):
    low, high = hint_groups(findings, r"Use indexes (\d+) to (\d+)")
    return lora(llama(), layers_to_transform=list(range(int(low), int(high) + 1)), layers_pattern="layers")
