"""LORA208 cases: a tied tiny Llama with lm_head alone in modules_to_save, against the same model with none."""

from __future__ import annotations

from tests.tiny_models import llama, lora

CODE = "LORA208"


def bad(tmp_path):
    return lora(llama(tie_word_embeddings=True), modules_to_save=["lm_head"])


def good(tmp_path):
    return lora(llama(tie_word_embeddings=True))
