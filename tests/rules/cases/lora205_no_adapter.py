"""LORA205 cases: merge_and_unload() output handed to training, against the wrapped model."""

from __future__ import annotations

from tests.tiny_models import llama, lora

CODE = "LORA205"


def bad(tmp_path):
    return lora(llama()).merge_and_unload()


def good(tmp_path):
    return lora(llama())
