"""LORA403 cases: a NaN in one base weight of the seed Llama, against the intact model."""

from __future__ import annotations

import torch

from tests.rules.runner import hint_groups
from tests.tiny_models import llama, lora

CODE = "LORA403"


def bad(tmp_path):
    model = lora(llama())
    with torch.no_grad():
        model.base_model.model.model.layers[0].mlp.up_proj.weight[3, 5] = float("nan")
    return model


def good(tmp_path):
    return lora(llama())


def fixed(tmp_path, findings):
    (name,) = hint_groups(findings, r"Reload or re-initialise (\S+): ")
    model = bad(tmp_path)
    reloaded = dict(llama().named_parameters())[name.removeprefix("base_model.model.")]
    with torch.no_grad():
        dict(model.named_parameters())[name].copy_(reloaded)
    return model
