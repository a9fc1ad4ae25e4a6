"""LORA201 cases: full fine-tuning code that unfreezes everything after wrapping, against a declared head."""

from __future__ import annotations

from tests.rules.runner import hint_says
from tests.tiny_models import llama, lora

CODE = "LORA201"
#: the same leak, seen by the probe (base parameters receive gradient)
ALSO = {"LORA404"}


def bad(tmp_path):
    model = lora(llama())
    for p in model.parameters():
        p.requires_grad = True
    return model


def good(tmp_path):
    return lora(llama(), modules_to_save=["lm_head"])


def fixed(tmp_path, findings):
    hint_says(findings, "Remove the code that sets requires_grad=True after get_peft_model")
    return lora(llama())
