"""Each framework's keys and defaults -> the LoraConfig it builds; recognising a config; YAML lines (no torch)."""

from __future__ import annotations

from pathlib import Path

import pytest

from lora_lint.errors import SetupLoadError
from lora_lint.frameworks.axolotl import map_axolotl
from lora_lint.frameworks.detect import detect
from lora_lint.frameworks.llamafactory import map_llamafactory
from lora_lint.frameworks.read import read_framework_config
from lora_lint.frameworks.spelling import ConfigSpelling

CONFIGS = Path(__file__).parent / "data" / "configs"


def test_llamafactory_defaults_alpha_to_twice_the_rank_and_targets_all_linear_layers() -> None:
    spec = map_llamafactory({"model_name_or_path": "m", "stage": "sft", "lora_rank": 16}, {})
    assert spec.kwargs["r"] == 16 and spec.kwargs["lora_alpha"] == 32 and spec.kwargs["lora_dropout"] == 0.0
    assert spec.all_linear is not None and "target_modules" not in spec.kwargs
    assert spec.keys["lora_alpha"] == "lora_alpha" and spec.line_of("lora_alpha") is None  # defaulted: not written


def test_llamafactory_comma_lists_additional_target_and_quantization() -> None:
    spec = map_llamafactory(
        {
            "model_name_or_path": "m",
            "stage": "sft",
            "lora_target": "q_proj, v_proj",
            "additional_target": "embed_tokens,lm_head",
            "lora_alpha": 8,
            "use_dora": True,
            "quantization_bit": 4,
            "pissa_init": True,
        },
        {},
    )
    assert spec.kwargs["target_modules"] == ["q_proj", "v_proj"] and spec.all_linear is None
    assert spec.kwargs["modules_to_save"] == ["embed_tokens", "lm_head"] and spec.kwargs["lora_alpha"] == 8
    assert spec.kwargs["use_dora"] is True and spec.bits == 4
    assert spec.kwargs["init_lora_weights"] == "pissa_niter_16"


def test_llamafactory_full_finetune_and_foreign_quantization_are_said_not_mapped() -> None:
    assert map_llamafactory({"model_name_or_path": "m", "finetuning_type": "full"}, {}).not_lora
    spec = map_llamafactory({"model_name_or_path": "m", "quantization_bit": 4, "quantization_method": "hqq"}, {})
    assert spec.bits is None and any("hqq" in n for n in spec.notes)


def test_axolotl_passes_its_keys_and_merges_target_linear_with_the_explicit_list() -> None:
    spec = map_axolotl(
        {
            "base_model": "m",
            "adapter": "qlora",
            "load_in_4bit": True,
            "lora_r": 16,
            "lora_alpha": 32,
            "lora_target_modules": ["q_proj"],
            "lora_target_linear": True,
            "lora_modules_to_save": ["embed_tokens", "lm_head"],
            "peft_use_rslora": True,
            "peft_layers_to_transform": [0, 1],
        },
        {"lora_target_modules": 7},
    )
    assert spec.kwargs["r"] == 16 and spec.kwargs["lora_dropout"] == 0.0 and spec.kwargs["bias"] == "none"
    assert spec.kwargs["target_modules"] == ["q_proj"] and spec.all_linear is not None
    assert spec.kwargs["use_rslora"] is True and spec.kwargs["layers_to_transform"] == [0, 1]
    assert spec.kwargs["modules_to_save"] == ["embed_tokens", "lm_head"]
    assert spec.bits == 4 and not spec.notes and spec.line_of("target_modules") == 7


def test_axolotl_string_targets_stay_a_regex_and_qlora_needs_4bit() -> None:
    spec = map_axolotl({"base_model": "m", "adapter": "qlora", "lora_r": 8, "lora_alpha": 16, "lora_target_modules": "q_proj|v_proj"}, {})
    assert spec.kwargs["target_modules"] == "q_proj|v_proj"
    assert any("load_in_4bit" in n for n in spec.notes)
    assert map_axolotl({"base_model": "m", "datasets": []}, {}).not_lora


@pytest.mark.parametrize(
    ("data", "kind"),
    [
        ({"base_model": "m", "adapter": "lora"}, "axolotl"),
        ({"model_name_or_path": "m", "stage": "sft"}, "llamafactory"),
        ({"model_name_or_path": "m"}, None),
        ({"r": 8, "target_modules": ["q_proj"]}, None),
    ],
)
def test_the_framework_is_recognised_from_its_keys(data: dict[str, object], kind: str | None) -> None:
    assert detect(data) == kind


def test_every_published_config_is_recognised_with_its_base() -> None:
    for path in sorted(CONFIGS.glob("*.y*ml")):
        spec = read_framework_config(path)
        assert spec.framework == ("axolotl" if path.name.startswith("ax_") else "LLaMA-Factory"), path
        assert spec.base_model and spec.not_lora is None, path


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("base_model: [unclosed\n", "malformed YAML"),
        ("- a\n- b\n", "expected a mapping"),
        ("", "empty file"),
        ("learning_rate: 1e-4\nepochs: 3\n", "base_model and one of adapter"),
    ],
)
def test_bad_yaml_is_one_load_error(tmp_path: Path, text: str, words: str) -> None:
    path = tmp_path / "train.yml"
    path.write_text(text)
    with pytest.raises(SetupLoadError, match=words):
        read_framework_config(path)


def test_findings_are_respelled_in_the_framework_keys() -> None:
    ax = ConfigSpelling("axolotl", keys={"target_modules": "lora_target_modules"}, lines={"lora_target_modules": 12})
    assert ax.setting("target_modules: 'query'") == ("lora_target_modules: 'query'", 12)
    assert ax.hint("Use target_modules=['q_proj', 'v_proj'].") == "Use lora_target_modules: [q_proj, v_proj]."
    lf = ConfigSpelling("LLaMA-Factory", keys={"target_modules": "lora_target"}, comma_lists=frozenset({"lora_target"}))
    assert lf.hint("Use target_modules=['q_proj', 'v_proj'].") == "Use lora_target: q_proj,v_proj."
    assert lf.setting("bias: 'all'") == ("bias: 'all'", None)
    both = ConfigSpelling("LLaMA-Factory", keys={"r": "lora_rank", "lora_alpha": "lora_alpha"}, lines={"lora_rank": 4, "lora_alpha": 5})
    assert both.setting("r, lora_alpha") == ("lora_rank, lora_alpha", 5)


def test_axolotl_passes_falsy_options_only_where_axolotl_does_and_leaves_rank_and_alpha_unset() -> None:
    spec = map_axolotl(
        {
            "base_model": "m",
            "adapter": "lora",
            "lora_target_linear": True,
            "peft_init_lora_weights": False,
            "peft_use_dora": False,
            "lora_rank_pattern": {"q_proj": 4},
            "lora_target_parameters": ["experts.gate_up_proj"],
        },
        {},
    )
    assert "init_lora_weights" not in spec.kwargs and "use_dora" not in spec.kwargs  # `if cfg.key:` in axolotl
    assert spec.kwargs["rank_pattern"] == {"q_proj": 4}
    assert spec.kwargs["target_parameters"] == ["experts.gate_up_proj"] and not spec.expert_dropout_waived
    assert spec.unset == ("lora_r", "lora_alpha") and "r" not in spec.kwargs
