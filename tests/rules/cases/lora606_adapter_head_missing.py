"""LORA606 cases: a BART SEQ_CLS adapter (peft saves classifier/score, BART's head is classification_head)."""

from __future__ import annotations

from tests.saved_adapters import bart_seq_cls

CODE = "LORA606"
PROBE = False


def bad(tmp_path):
    return str(bart_seq_cls(head_saved=False))


def good(tmp_path):
    return str(bart_seq_cls(head_saved=True))
