"""LORA407 cases: a real 3-step run with a base weight unfrozen by hand after wrapping, against a run that
declares the weight it trains (``modules_to_save``)."""

from __future__ import annotations

from tests.callback_trainers import guarded_setup, lora_model
from tests.rules.runner import hint_says

CODE = "LORA407"
#: the unfrozen weight is also a base leak (LORA201) that gets gradient in the probe (LORA404)
ALSO = ("LORA201", "LORA404")


def bad(tmp_path):
    return guarded_setup(tmp_path, model=lora_model(unfrozen_base=True))


def good(tmp_path):
    return guarded_setup(tmp_path, model=lora_model(modules_to_save=["lm_head"]))


def fixed(tmp_path, findings):
    hint_says(findings, "Freeze the base before get_peft_model")
    return guarded_setup(tmp_path, model=lora_model())
