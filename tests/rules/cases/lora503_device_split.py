"""LORA503 cases: a new adapter created with low_cpu_mem_usage=True stays on the meta device."""

from __future__ import annotations

from tests.rules.runner import hint_says
from tests.tiny_models import llama, lora

CODE = "LORA503"


def bad(tmp_path):
    from peft import LoraConfig, get_peft_model

    config = LoraConfig(r=8, lora_alpha=16, target_modules=["q_proj", "v_proj"], task_type="CAUSAL_LM")
    return get_peft_model(llama(), config, low_cpu_mem_usage=True)


def good(tmp_path):
    return lora(llama())


def fixed(tmp_path, findings):
    from peft import LoraConfig, get_peft_model

    hint_says(findings, "Do not pass low_cpu_mem_usage=True")
    config = LoraConfig(r=8, lora_alpha=16, target_modules=["q_proj", "v_proj"], task_type="CAUSAL_LM")
    return get_peft_model(llama(), config)
