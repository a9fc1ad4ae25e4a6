"""LORA702 cases: pad == EOS with a collator masking every pad, against a tokenizer with its own pad token."""

from __future__ import annotations

from tests.rules.runner import hint_says
from tests.trainers import sft_trainer

CODE = "LORA702"


def bad(tmp_path):
    return {"model": sft_trainer(tmp_path, pad_is_eos=True)}


def good(tmp_path):
    return {"model": sft_trainer(tmp_path)}


def fixed(tmp_path, findings):
    hint_says(findings, "Give the tokenizer a pad token other than EOS")
    return good(tmp_path)
