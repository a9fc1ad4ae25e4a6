"""LORA706 cases: remove_unused_columns drops the raw text a tokenising collator reads, against keeping it."""

from __future__ import annotations

from tests.rules.runner import hint_says
from tests.trainers import SENTENCES, text_collator, sft_trainer, tokenizer

CODE = "LORA706"


def _trainer(tmp_path, remove: bool):
    tok = tokenizer()
    rows = [{"text": s} for s in SENTENCES]
    return sft_trainer(tmp_path, rows=rows, collator=text_collator(tok), remove_unused_columns=remove)


def bad(tmp_path):
    return {"model": _trainer(tmp_path, remove=True)}


def good(tmp_path):
    return {"model": _trainer(tmp_path, remove=False)}


def fixed(tmp_path, findings):
    hint_says(findings, "Set remove_unused_columns=False")
    return {"model": _trainer(tmp_path, remove=False)}
