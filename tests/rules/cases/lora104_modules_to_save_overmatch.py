"""LORA104 cases: modules_to_save=["head"] wraps Llama's lm_head vs ["classifier"] on a BERT classifier."""

from __future__ import annotations

from tests.rules.runner import hint_literal
from tests.tiny_models import bert_classifier, llama, lora

CODE = "LORA104"


def bad(tmp_path):
    return lora(llama(), modules_to_save=["head"])


def good(tmp_path):
    return lora(bert_classifier(), target_modules=["query", "value"], task_type="SEQ_CLS", modules_to_save=["classifier"])


def fixed(tmp_path, findings):
    return lora(llama(), modules_to_save=hint_literal(findings, r"Use (\[[^\]]*\])"))
