"""LORA205 cases: merge_and_unload() output handed to training, against the wrapped model."""

from __future__ import annotations

from tests.rules.runner import hint_says
from tests.tiny_models import llama, lora

CODE = "LORA205"


def bad(tmp_path):
    return lora(llama()).merge_and_unload()


def good(tmp_path):
    return lora(llama())


def fixed(tmp_path, findings):
    hint_says(findings, "Train the model returned by get_peft_model(base, config)")
    return lora(llama())
