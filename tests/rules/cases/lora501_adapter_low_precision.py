"""LORA501 cases: model.half() on the wrapped model against a half base wrapped afterwards."""

from __future__ import annotations

from tests.tiny_models import llama, lora

CODE = "LORA501"


def bad(tmp_path):
    return lora(llama()).half()


def good(tmp_path):
    # peft keeps a new adapter in float32 on a half-precision base (autocast_adapter_dtype=True)
    return lora(llama().half())
