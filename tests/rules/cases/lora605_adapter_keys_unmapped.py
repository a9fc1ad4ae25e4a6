"""LORA605 cases: an adapter wrapped around a torch.compile()d Llama, checked against the plain Llama."""

from __future__ import annotations

from lora_lint.settings import Settings
from lora_lint.sources.adapter_dir import lora_lint_load_setup
from tests.rules.runner import hint_groups
from tests.saved_adapters import compiled_llama, copy_tree, llama_base_dir, rewrite_tensors, trained_llama

CODE = "LORA605"
PROBE = False


def _with_base(folder):
    (setup,) = lora_lint_load_setup(target=str(folder), settings=Settings(), options={"model": str(llama_base_dir())})
    return setup


def bad(tmp_path):
    return _with_base(compiled_llama())


def good(tmp_path):
    return _with_base(trained_llama())


def fixed(tmp_path, findings):
    (prefix,) = hint_groups(findings, r"or strip '([^']+)' from the keys")
    folder = copy_tree(compiled_llama(), tmp_path / "adapter")

    def strip(tensors):
        for key in list(tensors):
            tensors[key.replace(prefix, "")] = tensors.pop(key)

    rewrite_tensors(folder, strip)
    return _with_base(folder)
