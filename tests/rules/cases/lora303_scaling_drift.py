"""LORA303 cases: lora_alpha edited on peft_config after get_peft_model."""

from __future__ import annotations

from tests.rules.runner import hint_says
from tests.tiny_models import llama, lora

CODE = "LORA303"


def bad(tmp_path):
    model = lora(llama())
    model.peft_config["default"].lora_alpha = 32
    return model


def good(tmp_path):
    return lora(llama(), lora_alpha=32)


def fixed(tmp_path, findings):
    hint_says(findings, "get_peft_model with a new LoraConfig")
    return lora(llama(), lora_alpha=32)
