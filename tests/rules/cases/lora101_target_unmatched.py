"""LORA101 cases: the seed configuration with one entry from another architecture."""

from __future__ import annotations

from tests.rules.runner import hint_groups
from tests.tiny_models import llama, lora

CODE = "LORA101"


def bad(tmp_path):
    return lora(llama(), target_modules=["q_proj", "query"])


def good(tmp_path):
    return lora(llama())


def fixed(tmp_path, findings):
    (closest,) = hint_groups(findings, r"Closest real names: (\w+)")
    return lora(llama(), target_modules=["q_proj", closest])
