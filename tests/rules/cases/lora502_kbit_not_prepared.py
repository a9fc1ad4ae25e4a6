"""LORA502 cases: a 4-bit base loaded in bfloat16 and wrapped as is, against the prepared one."""

from __future__ import annotations

import torch

from tests.rules.runner import hint_says
from tests.tiny_models import llama_kbit, lora

CODE = "LORA502"


def bad(tmp_path):
    return lora(llama_kbit(4, dtype=torch.bfloat16))


def good(tmp_path):
    from peft import prepare_model_for_kbit_training

    return lora(prepare_model_for_kbit_training(llama_kbit(4, dtype=torch.bfloat16)))


def fixed(tmp_path, findings):
    hint_says(findings, "peft.prepare_model_for_kbit_training(base) before get_peft_model")
    return good(tmp_path)
