"""LORA307 cases: lora_dropout 1.0 zeroes the adapter path in training."""

from __future__ import annotations

from tests.rules.runner import hint_groups
from tests.tiny_models import llama, lora

CODE = "LORA307"


def bad(tmp_path):
    return lora(llama(), lora_dropout=1.0)


def good(tmp_path):
    return lora(llama(), lora_dropout=0.1)


def fixed(tmp_path, findings):
    _, high = hint_groups(findings, r"lora_dropout \(([\d.]+) to ([\d.]+)")
    return lora(llama(), lora_dropout=float(high))
