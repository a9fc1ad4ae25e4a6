"""LORA202 cases: an adapter loaded without is_trainable=True, against the same load with it."""

from __future__ import annotations

from tests.rules.runner import hint_says
from tests.tiny_models import llama, lora

CODE = "LORA202"


def _saved(tmp_path):
    path = tmp_path / "adapter"
    lora(llama()).save_pretrained(path)
    return path


def bad(tmp_path):
    from peft import PeftModel

    return PeftModel.from_pretrained(llama(), _saved(tmp_path))


def good(tmp_path):
    from peft import PeftModel

    return PeftModel.from_pretrained(llama(), _saved(tmp_path), is_trainable=True)


def fixed(tmp_path, findings):
    from peft import PeftModel

    hint_says(findings, "PeftModel.from_pretrained(base, path, is_trainable=True)")
    return PeftModel.from_pretrained(llama(), _saved(tmp_path), is_trainable=True)
