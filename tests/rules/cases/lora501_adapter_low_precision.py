"""LORA501 cases: model.half() on the wrapped model against a half base wrapped afterwards."""

from __future__ import annotations

from tests.rules.runner import hint_says
from tests.tiny_models import llama, lora

CODE = "LORA501"


def bad(tmp_path):
    return lora(llama()).half()


def good(tmp_path):
    # peft keeps a new adapter in float32 on a half-precision base (autocast_adapter_dtype=True)
    return lora(llama().half())


def fixed(tmp_path, findings):
    hint_says(findings, "for p in model.parameters(): p.data = p.data.float() if p.requires_grad else p.data")
    model = bad(tmp_path)
    for p in model.parameters():
        p.data = p.data.float() if p.requires_grad else p.data
    return model
