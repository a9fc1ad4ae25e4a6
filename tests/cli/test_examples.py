"""Every bundled example fires exactly the rules its docstring promises, naming the cause; the correct one fires nothing."""

from __future__ import annotations

from pathlib import Path

import pytest

from lora_lint import lint_targets
from lora_lint.settings import Settings

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"

EXPECTED = {
    "correct": set(),
    "wrong_targets": {"LORA101"},
    "loaded_frozen_adapter": {"LORA202"},
    "frozen_fresh_head": {"LORA203"},
    "unfrozen_base": {"LORA201", "LORA404"},
    "alpha_edited": {"LORA303"},
    "dead_adapters_checkpointing": {"LORA401", "LORA504"},
    "tied_embeddings_split": {"LORA208"},
    # no label supervised: the probe's loss is empty too, so no adapter gets gradient
    "trainer_masked_labels": {"LORA701"},
    "trainer_pad_is_eos": {"LORA702"},
}


#: words the first finding's message or fix must hold: the cause the example plants
CAUSES = {
    "wrong_targets": "'value'",
    "loaded_frozen_adapter": "is_trainable=True",
    "frozen_fresh_head": "classifier",
    "unfrozen_base": "layernorm",
    "alpha_edited": "alpha 16",
    "dead_adapters_checkpointing": "reentrant",
    "tied_embeddings_split": "lm_head",
    "trainer_pad_is_eos": "pad_token = eos_token",
}


def test_every_example_file_is_listed_here() -> None:
    files = {p.stem for p in EXAMPLES.glob("*.py") if not p.stem.startswith("_")}
    assert files == set(EXPECTED)


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_example_fires_exactly_its_rules(name: str) -> None:
    report = lint_targets([f"{EXAMPLES / name}.py:build"], Settings(device="cpu"))
    assert report.codes == EXPECTED[name], report.format_findings() or "no findings"
    assert all(f.location.file and f.location.file.endswith(f"examples/{name}.py") for f in report)
    if name in CAUSES:
        first = report.findings[0]
        assert CAUSES[name] in first.message + first.hint, report.format_findings()


def test_the_llama2_7b_example_holds_the_public_config_and_the_seed_lora_config() -> None:
    import json

    config = json.loads((EXAMPLES / "llama2-7b" / "config.json").read_text())
    assert (config["hidden_size"], config["num_hidden_layers"], config["intermediate_size"]) == (4096, 32, 11008)
    assert (config["num_attention_heads"], config["num_key_value_heads"], config["vocab_size"]) == (32, 32, 32000)
    lora = json.loads((EXAMPLES / "llama2-7b" / "lora_config.json").read_text())
    assert lora == {
        "r": 8,
        "lora_alpha": 16,
        "target_modules": ["q_proj", "v_proj"],
        "lora_dropout": 0.05,
        "bias": "none",
        "task_type": "CAUSAL_LM",
    }
    assert not list((EXAMPLES / "llama2-7b").glob("*.safetensors"))
