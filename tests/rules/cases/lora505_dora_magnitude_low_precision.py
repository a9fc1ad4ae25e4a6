"""LORA505 cases: a DoRA adapter whose magnitudes a trainer cast to bfloat16, against one kept in float32."""

from __future__ import annotations

import torch

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
