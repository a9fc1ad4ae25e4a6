"""A saved config read as data answers every field it claims exactly as peft's own LoraConfig does."""

from __future__ import annotations

import copy
import json
import subprocess
import sys
from typing import Any

import pytest
from peft import LoraConfig

from lora_lint.facts.model import SAVED_FIELDS, SavedLoraConfig, config_from_kwargs
from tests.saved_adapters import trained_llama

CASES: dict[str, dict[str, Any]] = {
    "defaults": {},
    "list targets and excludes": {"target_modules": ["v_proj", "q_proj"], "exclude_modules": ["lm_head"]},
    "regex string target": {"target_modules": r".*\.(q|v)_proj", "r": 16, "lora_alpha": 32},
    "patterns and rslora": {"r": 64, "lora_alpha": 16, "use_rslora": True, "rank_pattern": {"q_proj": 8},
                            "alpha_pattern": {"v_proj": 4}},
    "layers": {"target_modules": ["q_proj"], "layers_to_transform": 3, "layers_pattern": "layers"},
    "classifier": {"task_type": "SEQ_CLS", "modules_to_save": ["classifier"], "bias": "lora_only",
                   "lora_dropout": 0.1, "init_lora_weights": "gaussian", "inference_mode": True},
}  # fmt: skip


@pytest.mark.parametrize("kwargs", CASES.values(), ids=CASES.keys())
def test_every_saved_field_equals_what_peft_reads(kwargs: dict[str, Any]) -> None:
    plain, real = SavedLoraConfig(kwargs), config_from_kwargs(kwargs)
    for field in SAVED_FIELDS:
        assert getattr(plain, field) == getattr(real, field), field


def test_the_spelled_out_defaults_are_peft_defaults() -> None:
    real = LoraConfig()
    assert {f: getattr(real, f) for f in SAVED_FIELDS} == dict(SAVED_FIELDS)


def test_a_config_peft_saved_reads_the_same_as_data() -> None:
    saved = json.loads((trained_llama() / "adapter_config.json").read_text())
    plain, real = SavedLoraConfig(saved), config_from_kwargs(saved)
    assert {f: getattr(plain, f) for f in SAVED_FIELDS} == {f: getattr(real, f) for f in SAVED_FIELDS}


def test_any_other_field_is_answered_by_peft() -> None:
    plain = SavedLoraConfig({"r": 4, "use_qalora": True})
    assert plain.use_qalora is True  # not in SAVED_FIELDS: peft's LoraConfig answers
    assert plain.to_dict()["r"] == 4


def test_a_copy_reads_the_same_and_shares_no_mutable_default() -> None:
    plain = SavedLoraConfig({"r": 4})
    clone = copy.copy(plain)
    assert clone.r == 4
    plain.rank_pattern["x"] = 1
    assert SavedLoraConfig({}).rank_pattern == {}


def test_config_rules_on_a_saved_adapter_import_no_torch() -> None:
    script = (
        "import contextlib, io, sys\n"
        "from lora_lint.cli import main\n"
        "with contextlib.redirect_stdout(io.StringIO()):\n"
        f"    code = main(['check', {str(trained_llama())!r}, '--select', 'LORA102,LORA301,LORA306,LORA307', "
        "'--no-probe'], standalone_mode=False)\n"
        "print(code, [m for m in ('torch', 'transformers', 'peft') if m in sys.modules])\n"
    )
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True).stdout
    assert out.split(None, 1) == ["0", "[]\n"]
