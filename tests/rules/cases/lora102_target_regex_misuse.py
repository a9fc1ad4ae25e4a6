"""LORA102 cases: q_proj|v_proj as one string (peft full-matches it against whole paths) vs a full-path regex."""

from __future__ import annotations

from lora_lint.context import Setup
from tests.rules.runner import hint_literal
from tests.tiny_models import llama, on_meta

CODE = "LORA102"
SEED = {"r": 8, "lora_alpha": 16, "lora_dropout": 0.05, "bias": "none", "task_type": "CAUSAL_LM"}


def _config_route(target_modules):
    config = {**SEED, "target_modules": target_modules}
    return Setup("llama + lora.json", base_model=on_meta(llama), lora_configs={"default": config}, weights=False)


def bad(tmp_path):
    return _config_route("q_proj|v_proj")


def good(tmp_path):
    return _config_route(r".*\.(q_proj|v_proj)")


def fixed(tmp_path, findings):
    return _config_route(hint_literal(findings, r"Use target_modules=(\[[^\]]*\])"))
