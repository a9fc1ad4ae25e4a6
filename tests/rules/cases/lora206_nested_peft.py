"""LORA206 cases: get_peft_model on a PeftModel, against add_adapter for the second adapter."""

from __future__ import annotations

import warnings

from tests.rules.runner import hint_says
from tests.tiny_models import llama, lora

CODE = "LORA206"


def bad(tmp_path):
    from peft import LoraConfig, get_peft_model

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # peft warns "modify a model with PEFT for a second time"
        return get_peft_model(lora(llama()), LoraConfig(r=8, lora_alpha=16, target_modules=["k_proj"]))


def good(tmp_path):
    from peft import LoraConfig

    model = lora(llama())
    model.add_adapter("other", LoraConfig(r=8, lora_alpha=16, target_modules=["k_proj"]))
    return model


def fixed(tmp_path, findings):
    hint_says(findings, "model.add_adapter(name, config)")
    return good(tmp_path)
