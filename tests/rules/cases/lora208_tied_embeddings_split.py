"""LORA208 cases: a tied tiny Llama with lm_head alone in modules_to_save, against the same model with none."""

from __future__ import annotations

from tests.rules.runner import hint_says
from tests.tiny_models import llama, lora

CODE = "LORA208"


def bad(tmp_path):
    return lora(llama(tie_word_embeddings=True), modules_to_save=["lm_head"])


def good(tmp_path):
    return lora(llama(tie_word_embeddings=True))


def fixed(tmp_path, findings):
    hint_says(findings, "or neither")  # lm_head taken out of modules_to_save again
    return lora(llama(tie_word_embeddings=True))
