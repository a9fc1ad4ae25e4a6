"""LORA607 cases: merge_and_unload() on a copy that is never saved, against a real merge of the same adapter."""

from __future__ import annotations

from tests.merged_models import correct_merge, merged_setup, unmerged_copy
from tests.rules.runner import hint_says
from tests.saved_adapters import trained_llama

CODE = "LORA607"
PROBE = False


def bad(tmp_path):
    return merged_setup(unmerged_copy(), trained_llama())


def good(tmp_path):
    return merged_setup(correct_merge(), trained_llama())


def fixed(tmp_path, findings):
    hint_says(findings, "Save the object merge_and_unload() returns")
    return good(tmp_path)
