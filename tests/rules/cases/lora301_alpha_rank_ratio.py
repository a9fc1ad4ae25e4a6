"""LORA301 cases: alpha 64 at r 2 (scale 32.0) against the seed configuration's 16 / 8."""

from __future__ import annotations

from tests.rules.runner import hint_groups
from tests.tiny_models import llama, lora

CODE = "LORA301"


def bad(tmp_path):
    return lora(llama(), r=2, lora_alpha=64)


def good(tmp_path):
    return lora(llama())


def fixed(tmp_path, findings):
    _, high = hint_groups(findings, r"set lora_alpha between ([\d.]+) and ([\d.]+)")
    return lora(llama(), r=2, lora_alpha=float(high))
