"""LORA608 cases: an adapter merged with lora_alpha 32, checked against the saved adapter (alpha 16)."""

from __future__ import annotations

from tests.merged_models import correct_merge, merged_setup, other_alpha_merge
from tests.rules.runner import hint_says
from tests.saved_adapters import trained_llama

CODE = "LORA608"
PROBE = False


def bad(tmp_path):
    return merged_setup(other_alpha_merge(), trained_llama())


def good(tmp_path):
    return merged_setup(correct_merge(), trained_llama())


def fixed(tmp_path, findings):
    hint_says(findings, "Merge the adapter that was trained, with its own adapter_config.json")
    return good(tmp_path)
