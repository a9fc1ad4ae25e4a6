"""LORA703 cases: max_length cuts the answers, against a max_length the answers fit in."""

from __future__ import annotations

from tests.trainers import sft_trainer

CODE = "LORA703"


def bad(tmp_path):
    return {"model": sft_trainer(tmp_path, max_length=11)}


def good(tmp_path):
    return {"model": sft_trainer(tmp_path, max_length=32)}
