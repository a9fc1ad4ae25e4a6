"""LORA101 cases: the seed configuration with one entry from another architecture."""

from __future__ import annotations

from tests.tiny_models import llama, lora

CODE = "LORA101"


def bad(tmp_path):
    return lora(llama(), target_modules=["q_proj", "query"])


def good(tmp_path):
    return lora(llama())
