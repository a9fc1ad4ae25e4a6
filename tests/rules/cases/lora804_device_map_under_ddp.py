"""LORA804 cases: a model dispatched over cpu and disk by its device_map in a 2-process job, and one whole copy per process."""

from __future__ import annotations

from tests.launch_configs import accelerate_multi_gpu, launched
from tests.rules.runner import hint_says
from tests.tiny_models import dispatched_llama, lora

CODE = "LORA804"
PROBE = False


def bad(tmp_path):
    model = lora(dispatched_llama(tmp_path, split=True))
    return launched("train.py:build", model, accelerate_config=accelerate_multi_gpu(tmp_path))


def good(tmp_path):
    model = lora(dispatched_llama(tmp_path, split=False))
    return launched("train.py:build", model, accelerate_config=accelerate_multi_gpu(tmp_path))


def fixed(tmp_path, findings):
    hint_says(findings, "Load one whole copy per process")
    model = lora(dispatched_llama(tmp_path, split=False))
    return launched("train.py:build", model, accelerate_config=accelerate_multi_gpu(tmp_path))
