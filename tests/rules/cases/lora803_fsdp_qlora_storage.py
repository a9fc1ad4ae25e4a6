"""LORA803 cases: FSDP over a real bitsandbytes 4-bit base stored as uint8 (the default), and one stored in its float dtype."""

from __future__ import annotations

from tests.launch_configs import accelerate_fsdp, launched
from tests.rules.runner import hint_says
from tests.tiny_models import llama_4bit_stored, lora

CODE = "LORA803"
PROBE = False


def bad(tmp_path):
    model = lora(llama_4bit_stored(None))
    return launched("train.py:build", model, accelerate_config=accelerate_fsdp(tmp_path, version=2))


def good(tmp_path):
    model = lora(llama_4bit_stored("float32"))
    return launched("train.py:build", model, accelerate_config=accelerate_fsdp(tmp_path, version=2))


def fixed(tmp_path, findings):
    hint_says(findings, "BitsAndBytesConfig(bnb_4bit_quant_storage=<the model's dtype>)")
    model = lora(llama_4bit_stored("float32"))  # the rest of this base is float32
    return launched("train.py:build", model, accelerate_config=accelerate_fsdp(tmp_path, version=2))
