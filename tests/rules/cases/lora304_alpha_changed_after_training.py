"""LORA304 cases: a run resumed with lora_alpha 32 after training with 16, and a consistent run."""

from __future__ import annotations

from tests.rules.runner import hint_groups
from tests.saved_adapters import training_run

CODE = "LORA304"
PROBE = False


def bad(tmp_path):
    return str(training_run(alphas=(16, 32), steps=(10, 20)))


def good(tmp_path):
    return str(training_run(alphas=(16, 16), steps=(10, 20)))


def fixed(tmp_path, findings):
    (step,) = hint_groups(findings, r"Resume from checkpoint-(\d+) with its own adapter_config\.json")
    assert step == "10"
    return str(training_run(alphas=(16, 16), steps=(10, 20)))  # the resume keeps checkpoint-10's alpha
