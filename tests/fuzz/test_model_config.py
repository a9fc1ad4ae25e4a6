"""Broken base-model config.json files: one exit-2 line naming the field, quickly (never a build that hangs)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tests.fuzz.conftest import assert_refused, cli, write

LLAMA: dict[str, Any] = {"model_type": "llama", "architectures": ["LlamaForCausalLM"], "hidden_size": 16,
                         "intermediate_size": 32, "num_hidden_layers": 2, "num_attention_heads": 2,
                         "num_key_value_heads": 2, "vocab_size": 64}  # fmt: skip

#: (field, value, words the message must hold)
MUTATIONS: list[tuple[str, Any, str]] = [
    ("model_type", ["llama"], "a list"),
    ("architectures", 5, "a list of model class names"),
    ("architectures", ["TextGenerationPipeline"], "not a transformers model class"),
    ("architectures", ["BertForMaskedLM"], "model_type is llama"),
    ("hidden_size", "16", "a string"),
    ("hidden_size", 16.0, "a number"),
    ("hidden_size", None, "null"),
    ("hidden_size", 10**9, "1,000,000,000"),
    ("hidden_size", 1e9, "a number"),
    ("num_attention_heads", 0, "positive integer"),
    ("num_attention_heads", 3, "does not divide"),
    ("torch_dtype", "float17", "dtype"),
    ("rope_scaling", "linear", "a mapping"),
    ("num_hidden_layers", 20_000, "20,000"),
]


@pytest.fixture(scope="module", autouse=True)
def _imported() -> None:
    """torch, transformers and peft imported once, so the time asserted is the check's, not the import's."""
    import peft  # noqa: F401
    import transformers  # noqa: F401


@pytest.mark.parametrize("case", MUTATIONS, ids=lambda c: f"{c[0]}={json.dumps(c[1])}")
def test_broken_base_config(case: tuple[str, Any, str], tmp_path: Path) -> None:
    field, value, words = case
    write(tmp_path / "model" / "config.json", json.dumps({**LLAMA, field: value}))
    lora = write(tmp_path / "lora.json", json.dumps({"r": 4, "lora_alpha": 8, "target_modules": ["q_proj"]}))
    answer = cli("check", "--model", str(tmp_path / "model"), "--lora-config", str(lora))
    assert_refused(answer, "config.json", words, budget=30)
