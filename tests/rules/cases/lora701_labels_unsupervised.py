"""LORA701 cases: a real Trainer whose collator masks every label, against one that supervises the answers."""

from __future__ import annotations

from tests.trainers import sft_trainer

CODE = "LORA701"


def bad(tmp_path):
    return {"model": sft_trainer(tmp_path, mask_all=True)}


def good(tmp_path):
    return {"model": sft_trainer(tmp_path)}
