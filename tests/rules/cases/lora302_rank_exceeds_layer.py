"""LORA302 cases: r 32 reaches the tiny Llama's k_proj/v_proj (out 32 with grouped-query attention)."""

from __future__ import annotations

from tests.rules.runner import hint_literal
from tests.tiny_models import llama, lora

CODE = "LORA302"


def bad(tmp_path):
    return lora(llama(), r=32, lora_alpha=64)


def good(tmp_path):
    return lora(llama(), r=16, lora_alpha=32)


def fixed(tmp_path, findings):
    return lora(llama(), r=32, lora_alpha=64, rank_pattern=hint_literal(findings, r"rank_pattern=(\{[^}]*\})"))
