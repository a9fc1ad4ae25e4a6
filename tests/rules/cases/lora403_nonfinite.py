"""LORA403 cases: a NaN in one base weight of the seed Llama, against the intact model."""

from __future__ import annotations

import torch

from tests.tiny_models import llama, lora

CODE = "LORA403"


def bad(tmp_path):
    model = lora(llama())
    with torch.no_grad():
        model.base_model.model.model.layers[0].mlp.up_proj.weight[3, 5] = float("nan")
    return model


def good(tmp_path):
    return lora(llama())
