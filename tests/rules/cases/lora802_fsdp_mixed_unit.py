"""LORA802 cases: FSDP1 wrapping whole decoder layers (frozen base + LoRA) without use_orig_params, and
peft's documented recipe (use_orig_params=false, peft's fsdp_auto_wrap_policy as the Trainer sets it)."""

from __future__ import annotations

from lora_lint.facts.launch import read_launch, under_trainer
from tests.launch_configs import accelerate_fsdp, launched
from tests.rules.runner import hint_says
from tests.tiny_models import llama, lora

CODE = "LORA802"
PROBE = False


def bad(tmp_path):
    return launched("train.py:build", lora(llama()), accelerate_config=accelerate_fsdp(tmp_path))


def good(tmp_path):
    facts = read_launch(accelerate_config=accelerate_fsdp(tmp_path), environ={})
    return launched("train.py:build", lora(llama()), launch=under_trainer(facts))


def fixed(tmp_path, findings):
    hint_says(findings, "set fsdp_use_orig_params: true")
    return launched("train.py:build", lora(llama()), accelerate_config=accelerate_fsdp(tmp_path, orig_params=True))
