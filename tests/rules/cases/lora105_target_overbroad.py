"""LORA105 cases: q_proj/v_proj on LLaVA (vision tower and language model) vs on decoder-only Llama (one tower)."""

from __future__ import annotations

from lora_lint.context import Setup
from tests.rules.runner import hint_literal
from tests.tiny_models import llama, llava, on_meta

CODE = "LORA105"
SEED = {"r": 8, "lora_alpha": 16, "lora_dropout": 0.05, "bias": "none", "target_modules": ["q_proj", "v_proj"]}


def bad(tmp_path):
    return Setup("llava + lora.json", base_model=on_meta(llava), lora_configs={"default": dict(SEED)}, weights=False)


def good(tmp_path):
    config = {**SEED, "task_type": "CAUSAL_LM"}
    return Setup("llama + lora.json", base_model=on_meta(llama), lora_configs={"default": config}, weights=False)


def fixed(tmp_path, findings):
    targets = hint_literal(findings, r"target_modules=(r'[^']*')")
    config = {**SEED, "target_modules": targets}
    return Setup("llava + lora.json", base_model=on_meta(llava), lora_configs={"default": config}, weights=False)
