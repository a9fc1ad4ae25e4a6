"""LORA601 cases: an adapter saved before any optimizer step, and one trained a few steps."""

from __future__ import annotations

from tests.saved_adapters import trained_llama, untrained_llama

CODE = "LORA601"
PROBE = False


def bad(tmp_path):
    return str(untrained_llama())


def good(tmp_path):
    return str(trained_llama())
