"""The pre-commit hook for training configs passes each changed YAML config as a TARGET."""

from __future__ import annotations

import re
from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parents[2]


def test_the_config_hook_passes_changed_yaml_files_to_check() -> None:
    hooks = {h["id"]: h for h in yaml.safe_load((REPO / ".pre-commit-hooks.yaml").read_text())}
    hook = hooks["lora-lint-config"]
    assert hook["entry"] == "lora-lint check" and hook["pass_filenames"] is True
    files = re.compile(hook["files"])
    assert files.search("examples/axolotl/llama-lora.yml") and files.search("examples/llamafactory/llama3_lora_sft.yaml")
    assert not files.search("train.py")
