"""LORA406 cases: a real 3-step run whose lora_B param group has lr 0, against a correct run that warms up
from lr 0 with gradient accumulation 2 (the check waits for the first step that has a learning rate)."""

from __future__ import annotations

from tests.callback_trainers import adapter_lr_zero_optimizer, guarded_setup, lora_model
from tests.rules.runner import hint_says

CODE = "LORA406"


def bad(tmp_path):
    model = lora_model()
    return guarded_setup(tmp_path, model=model, optimizer=adapter_lr_zero_optimizer(model))


def good(tmp_path):
    return guarded_setup(tmp_path, warmup_steps=1, gradient_accumulation_steps=2, lr_scheduler_type="linear")


def fixed(tmp_path, findings):
    import torch

    hint_says(findings, "Give every adapter weight a param group with lr > 0")
    model = lora_model()
    optimizer = adapter_lr_zero_optimizer(model)
    for group in optimizer.param_groups:
        group["lr"] = group["lr"] or 1e-3
    assert isinstance(optimizer, torch.optim.Optimizer)
    return guarded_setup(tmp_path, model=model, optimizer=optimizer)
