"""LORA702 cases: pad == EOS with a collator masking every pad, against a tokenizer with its own pad token."""

from __future__ import annotations

from tests.trainers import sft_trainer

CODE = "LORA702"


def bad(tmp_path):
    return {"model": sft_trainer(tmp_path, pad_is_eos=True)}


def good(tmp_path):
    return {"model": sft_trainer(tmp_path)}
