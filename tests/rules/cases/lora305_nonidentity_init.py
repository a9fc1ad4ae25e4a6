"""LORA305 cases: a fresh adapter with init_lora_weights=False against the default zero lora_B."""

from __future__ import annotations

from tests.rules.runner import hint_says
from tests.tiny_models import llama, lora

CODE = "LORA305"


def bad(tmp_path):
    return lora(llama(), init_lora_weights=False)


def good(tmp_path):
    return lora(llama())


def fixed(tmp_path, findings):
    hint_says(findings, "Drop init_lora_weights=False")
    return lora(llama())
