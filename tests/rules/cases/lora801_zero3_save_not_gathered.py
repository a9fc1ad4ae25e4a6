"""LORA801 cases: a ZeRO-3 DeepSpeed JSON without 16-bit gather on save, and one with it."""

from __future__ import annotations

from tests.launch_configs import deepspeed_json, launched
from tests.rules.runner import hint_says

CODE = "LORA801"
PROBE = False


def bad(tmp_path):
    return launched("train.py:build", deepspeed=deepspeed_json(tmp_path, offload_param={"device": "cpu"}))


def good(tmp_path):
    path = deepspeed_json(tmp_path, stage3_gather_16bit_weights_on_model_save=True)
    return launched("train.py:build", deepspeed=path)


def fixed(tmp_path, findings):
    hint_says(findings, 'Set "stage3_gather_16bit_weights_on_model_save": true')
    path = deepspeed_json(tmp_path, offload_param={"device": "cpu"}, stage3_gather_16bit_weights_on_model_save=True)
    return launched("train.py:build", deepspeed=path)
