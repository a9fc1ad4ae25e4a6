"""LORA204 cases: an adapter loaded to continue training but never set active, against set_adapter."""

from __future__ import annotations

from tests.rules.runner import hint_literal
from tests.tiny_models import llama, lora
from tests.versions import PEFT

CODE = "LORA204"


def _loaded(tmp_path):
    path = tmp_path / "sft"
    lora(llama()).save_pretrained(path)
    model = lora(llama())
    model.load_adapter(path, adapter_name="sft", is_trainable=True)
    if PEFT.release < (0, 18):  # older peft keeps it frozen until set_adapter; the script unfreezes it by hand
        for name, param in model.named_parameters():
            if ".sft." in name:
                param.requires_grad_(True)
    return model


def bad(tmp_path):
    return _loaded(tmp_path)


def good(tmp_path):
    model = _loaded(tmp_path)
    model.set_adapter("sft")
    return model


def fixed(tmp_path, findings):
    model = _loaded(tmp_path)
    model.set_adapter(hint_literal(findings, r"model\.set_adapter\(('[^']+')\)"))
    return model
