"""LORA404 cases: the output head unfrozen by hand after wrapping, against declaring it in modules_to_save."""

from __future__ import annotations

from tests.rules.runner import hint_says
from tests.tiny_models import llama, lora

CODE = "LORA404"
#: the same leak, seen statically
ALSO = {"LORA201"}


def bad(tmp_path):
    model = lora(llama())
    model.base_model.model.lm_head.weight.requires_grad_(True)
    return model


def good(tmp_path):
    return lora(llama(), modules_to_save=["lm_head"])


def fixed(tmp_path, findings):
    hint_says(findings, "Leave base weights frozen")
    model = bad(tmp_path)
    model.base_model.model.lm_head.weight.requires_grad_(False)
    return model
