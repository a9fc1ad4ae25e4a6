"""LORA306 cases: a sign typo in lora_alpha (scale -2.0) against alpha 16."""

from __future__ import annotations

from tests.rules.runner import hint_groups
from tests.tiny_models import llama, lora

CODE = "LORA306"


def bad(tmp_path):
    return lora(llama(), lora_alpha=-16)


def good(tmp_path):
    return lora(llama())


def fixed(tmp_path, findings):
    (alpha,) = hint_groups(findings, r"lora_alpha = (\d+)")
    return lora(llama(), lora_alpha=int(alpha))
