"""LORA207 cases: tokens added with resize_token_embeddings and left frozen, against trainable_token_indices."""

from __future__ import annotations

from tests.rules.runner import hint_groups
from tests.tiny_models import lora, saved_llama_dir

CODE = "LORA207"


def _resized():
    from transformers import AutoModelForCausalLM

    base = AutoModelForCausalLM.from_pretrained(saved_llama_dir())
    base.resize_token_embeddings(136, mean_resizing=False)
    return base.eval()


def bad(tmp_path):
    return lora(_resized())


def good(tmp_path):
    return lora(_resized(), trainable_token_indices={"embed_tokens": list(range(128, 136))})


def fixed(tmp_path, findings):
    layer, low, high = hint_groups(findings, r"trainable_token_indices=\{'(\w+)': list\(range\((\d+), (\d+)\)\)\}")
    return lora(_resized(), trainable_token_indices={layer: list(range(int(low), int(high)))})
