"""Mistyped LoRA config fields: every route answers one exit-2 line naming the file, the field and the value."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest

from tests.fuzz.conftest import assert_refused, cli, write, write_adapter

#: (field, value written, words the message must hold besides the file and the field)
MUTATIONS: list[tuple[str, Any, str]] = [
    ("r", "8", "'8' (a string)"),
    ("r", 1.5, "positive integer"),
    ("r", None, "null"),
    ("r", True, "a boolean"),
    ("r", 0, "positive integer"),
    ("r", -4, "positive integer"),
    ("lora_alpha", None, "a number"),
    ("lora_alpha", "16", "a string"),
    ("lora_alpha", [16], "a list"),
    ("target_modules", 5, "an integer"),
    ("target_modules", [1, 2], "target_modules[0]"),
    ("target_modules", [["q"]], "target_modules[0]"),
    ("target_modules", True, "a boolean"),
    ("target_modules", {}, "a mapping"),
    ("target_modules", "q_proj(", "regular expression"),
    ("modules_to_save", 5, "a list of strings"),
    ("rank_pattern", {"q_proj": "4"}, "rank_pattern['q_proj']"),
    ("rank_pattern", {"q_proj": None}, "null"),
    ("rank_pattern", {"(": 4}, "regular expression"),
    ("rank_pattern", "q_proj=4", "a mapping"),
    ("alpha_pattern", {"v_proj": None}, "alpha_pattern['v_proj']"),
    ("layers_to_transform", "0", "a string"),
    ("layers_to_transform", 1.5, "a number"),
    ("layers_to_transform", {}, "a mapping"),
    ("layers_to_transform", [0, -1], "layer index"),
    ("layers_pattern", 5, "an integer"),
    ("lora_dropout", "0.1", "a number"),
    ("lora_dropout", 1.5, "between 0 and 1"),
    ("bias", "weird", "'none'"),
    ("bias", 5, "an integer"),
    ("task_type", "BOGUS", "CAUSAL_LM"),
    ("task_type", 5, "CAUSAL_LM"),
    ("task_type", [], "a list"),
    ("exclude_modules", 5, "an integer"),
    ("target_parameters", 5, "an integer"),
    ("use_dora", "yes", "true or false"),
    ("loftq_config", "x", "a mapping"),
    ("trainable_token_indices", [[1]], "token ids"),
    ("trainable_token_indices", {"embed_tokens": 5}, "token ids"),
    ("init_lora_weights", "fancy", "'gaussian'"),
]


def _ids(case: tuple[str, Any, str]) -> str:
    return f"{case[0]}={json.dumps(case[1])}"


@pytest.fixture(scope="module")
def adapter(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_adapter(tmp_path_factory.mktemp("fields") / "adapter")


@pytest.mark.parametrize("case", MUTATIONS, ids=_ids)
def test_saved_adapter_config(case: tuple[str, Any, str], adapter: Path, tmp_path: Path) -> None:
    field, value, words = case
    folder = tmp_path / "adapter"
    shutil.copytree(adapter, folder)
    config = json.loads((folder / "adapter_config.json").read_text())
    config[field] = value
    (folder / "adapter_config.json").write_text(json.dumps(config))
    assert_refused(cli("check", str(folder)), "adapter_config.json", field, words)


#: the --lora-config route reads the same table, in JSON and in YAML (a sample: it builds a base each time)
SAMPLE = [MUTATIONS[i] for i in (0, 1, 9, 13, 16, 28, 30, 35)]


@pytest.mark.parametrize("suffix", [".json", ".yaml"])
@pytest.mark.parametrize("case", SAMPLE, ids=_ids)
def test_lora_config_file(case: tuple[str, Any, str], suffix: str, adapter: Path, tmp_path: Path) -> None:
    field, value, words = case
    config = {"r": 8, "lora_alpha": 16, "target_modules": ["q_proj", "v_proj"], field: value}
    path = write(tmp_path / f"lora{suffix}", json.dumps(config))  # JSON is YAML too
    model = tmp_path / "model"
    write(model / "config.json", json.dumps(_llama_config()))
    assert_refused(cli("check", "--model", str(model), "--lora-config", str(path)), path.name, field, words)


def _llama_config() -> dict[str, Any]:
    return {"model_type": "llama", "architectures": ["LlamaForCausalLM"], "hidden_size": 16, "intermediate_size": 32,
            "num_hidden_layers": 2, "num_attention_heads": 2, "num_key_value_heads": 2, "vocab_size": 64}  # fmt: skip


def test_well_typed_config_still_lints(adapter: Path) -> None:
    answer = cli("check", str(adapter), "--format", "json")
    assert answer.rc in (0, 1), answer.err
    json.loads(answer.out)
