"""LORA703 cases: max_length cuts the answers, against a max_length the answers fit in."""

from __future__ import annotations

from tests.rules.runner import hint_says
from tests.trainers import sft_trainer

CODE = "LORA703"


def bad(tmp_path):
    return {"model": sft_trainer(tmp_path, max_length=11)}


def good(tmp_path):
    return {"model": sft_trainer(tmp_path, max_length=32)}


def fixed(tmp_path, findings):
    hint_says(findings, "Raise max_length to fit the answers")
    return {"model": sft_trainer(tmp_path, max_length=32)}
