"""LORA106 cases: a tiny MoE with fused experts adapted through attention only vs with target_parameters."""

from __future__ import annotations

from lora_lint.context import Setup
from tests.rules.runner import hint_literal
from tests.tiny_models import moe, on_meta
from tests.versions import TRANSFORMERS_5

CODE = "LORA106"
#: fused 3-D experts: Mixtral under transformers 5; transformers 4.x fuses only GPT-OSS's experts
KIND = "mixtral" if TRANSFORMERS_5 else "gpt_oss"
SEED = {"r": 8, "lora_alpha": 16, "lora_dropout": 0.0, "bias": "none", "task_type": "CAUSAL_LM"}


def _config_route(**config):
    return Setup(f"{KIND} + lora.json", base_model=on_meta(moe, KIND), lora_configs={"default": {**SEED, **config}}, weights=False)


def bad(tmp_path):
    return _config_route(target_modules=["q_proj", "k_proj", "v_proj", "o_proj"])


def good(tmp_path):
    return _config_route(
        target_modules=["q_proj", "k_proj", "v_proj", "o_proj"],
        target_parameters=["experts.gate_up_proj", "experts.down_proj"],
    )


def fixed(tmp_path, findings):
    experts = hint_literal(findings, r"target_parameters=(\[[^\]]*\])")
    return _config_route(target_modules=["q_proj", "k_proj", "v_proj", "o_proj"], target_parameters=experts)
