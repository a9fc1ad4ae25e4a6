"""LORA203 cases: a BERT classifier wrapped without task_type, against task_type="SEQ_CLS"."""

from __future__ import annotations

from tests.rules.runner import hint_literal
from tests.tiny_models import bert_classifier, lora

CODE = "LORA203"


def bad(tmp_path):
    return lora(bert_classifier(), target_modules=["query", "value"], task_type=None)


def good(tmp_path):
    return lora(bert_classifier(), target_modules=["query", "value"], task_type="SEQ_CLS")


def fixed(tmp_path, findings):
    task = hint_literal(findings, r'task_type=("[A-Z_]+")')
    return lora(bert_classifier(), target_modules=["query", "value"], task_type=task)
