"""LORA505 cases: a DoRA adapter whose magnitudes a trainer cast to bfloat16, against one kept in float32."""

from __future__ import annotations

import torch

from tests.rules.runner import hint_says
from tests.tiny_models import llama, lora

CODE = "LORA505"
PROBE = False


def bad(tmp_path):
    model = lora(llama(), use_dora=True)
    for name, param in model.named_parameters():
        if "lora_magnitude_vector" in name:
            param.data = param.data.to(torch.bfloat16)
    return model


def good(tmp_path):
    return lora(llama(), use_dora=True)


def fixed(tmp_path, findings):
    hint_says(findings, "Keep lora_magnitude_vector in float32")
    model = bad(tmp_path)
    for param in model.parameters():
        if param.requires_grad:
            param.data = param.data.float()
    return model
