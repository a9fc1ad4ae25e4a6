"""The CLI on framework configs, hub ids and an adapter's own base, offline against a local HF cache (subprocesses)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.cli.conftest import run_cli
from tests.frameworks.hub_cache import build_hub_cache
from tests.saved_adapters import copy_tree, edit_config, llama_base_dir, trained_llama

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    tiny = (llama_base_dir() / "config.json").read_bytes()
    return build_hub_cache(tmp_path_factory.mktemp("hf") / "hub", extra={"tiny-org/tiny-llama": tiny})


def env(cache: Path) -> dict[str, str]:
    return {"HF_HUB_CACHE": str(cache), "HF_HUB_OFFLINE": "1"}


@pytest.mark.parametrize(
    ("example", "line", "setting"),
    [
        ("examples/axolotl/llama-lora.yml", "lora_target_modules:", "lora_target_modules: 'query_key_value'"),
        ("examples/llamafactory/llama3_lora_sft.yaml", "lora_target:", "lora_target: 'c_attn'"),
    ],
)
def test_each_example_is_flagged_at_its_planted_mistake(cache: Path, example: str, line: str, setting: str) -> None:
    lines = (REPO / example).read_text().splitlines()
    at = next(i for i, row in enumerate(lines, 1) if row.startswith(line))
    run = run_cli("check", example, env=env(cache))
    assert run.rc == 1, run.err
    assert f"LORA101 target-unmatched  {example}:{at} {setting}" in run.out
    assert "from its cached config.json" in run.out


def test_model_as_a_hub_id_resolves_from_the_cache(cache: Path) -> None:
    run = run_cli(
        "check", "--model", "NousResearch/Llama-2-7b-hf", "--lora-config", "examples/llama2-7b/lora_config.json", env=env(cache)
    )
    assert run.rc == 0, run.out + run.err
    assert "built LlamaForCausalLM on the meta device" in run.out


def test_a_mistyped_hub_id_is_one_line_naming_the_cached_one(cache: Path) -> None:
    run = run_cli("check", "--model", "NousResearch/Llama-2-7b", "--lora-config", "examples/llama2-7b/lora_config.json", env=env(cache))
    assert run.rc == 2 and len(run.err_lines) == 1, run.err
    assert "NousResearch/Llama-2-7b-hf" in run.err and "Traceback" not in run.err


def test_a_saved_adapter_is_checked_against_the_base_it_names(cache: Path, tmp_path: Path) -> None:
    adapter = copy_tree(trained_llama(), tmp_path / "adapter")
    edit_config(adapter, base_model_name_or_path="tiny-org/tiny-llama", target_modules=["q_proj", "value"])
    run = run_cli("check", str(adapter), env=env(cache))
    assert "checked against its base tiny-org/tiny-llama (base_model_name_or_path) from the Hugging Face cache" in run.out
    assert "LORA101" in run.out and "'value'" in run.out, run.out


def test_an_adapter_whose_base_cannot_be_resolved_says_which_base_it_tried(cache: Path, tmp_path: Path) -> None:
    adapter = copy_tree(trained_llama(), tmp_path / "adapter")
    edit_config(adapter, base_model_name_or_path="tiny-org/not-cached", target_modules=["q_proj", "value"])
    run = run_cli("check", str(adapter), env=env(cache))
    assert "base model named in adapter_config.json not resolved: tiny-org/not-cached" in run.out
    assert "LORA101 target" not in run.out and "pass --model" in run.out, run.out


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("base_model: [unclosed\nadapter: lora\n", "malformed YAML"),
        ("learning_rate: 0.0001\nnum_epochs: 3\n", "not an axolotl or LLaMA-Factory config (an axolotl config has base_model"),
    ],
)
def test_unreadable_yaml_is_one_line_and_exit_2(cache: Path, tmp_path: Path, text: str, words: str) -> None:
    path = tmp_path / "train.yml"
    path.write_text(text)
    run = run_cli("check", str(path), env=env(cache))
    assert run.rc == 2 and len(run.err_lines) == 1 and words in run.err, run.err


def test_an_unresolvable_base_is_a_note_and_the_config_alone_is_checked(cache: Path, tmp_path: Path) -> None:
    path = tmp_path / "lora.yml"
    path.write_text("base_model: someone/private-model\nadapter: lora\nlora_r: 16\nlora_alpha: 32\nlora_target_linear: true\n")
    run = run_cli("check", str(path), env=env(cache))
    assert run.rc == 0, run.out + run.err
    assert "base model not resolved, targets not checked: someone/private-model" in run.out
