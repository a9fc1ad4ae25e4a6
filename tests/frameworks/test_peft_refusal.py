"""A config peft refuses on its base is LORA108 at the config, in every output format, not an exit-2 error."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.cli.conftest import run_cli
from tests.rules.cases.lora108_peft_rejects_config import config_pair
from tests.versions import TRANSFORMERS_5


def test_all_linear_with_dropout_on_fused_mixtral_experts_is_lora108_in_json_sarif_and_github(tmp_path: Path) -> None:
    model, config = config_pair(tmp_path, dropout=0.05)
    run = run_cli("check", "--model", str(model), "--lora-config", str(config), "--format", "json", "--no-probe")
    if not TRANSFORMERS_5:  # 4.57: every Mixtral expert is an nn.Linear, peft accepts the config
        assert "LORA108" not in run.out and run.rc in (0, 1), run
        return
    assert run.rc == 1, run
    findings = [f for f in json.loads(run.out)["findings"] if f["code"] == "LORA108"]
    assert findings, run.out
    assert "ParamWrapper does not work with lora_dropout != 0" in findings[0]["message"]
    assert findings[0]["location"]["setting"] == "lora_dropout: 0.05"
    assert findings[0]["location"]["line"] == 1 and findings[0]["location"]["file"].endswith("lora.json")
    assert "lora_dropout=0.0" in findings[0]["hint"]
    sarif = run_cli("check", "--model", str(model), "--lora-config", str(config), "--format", "sarif", "--no-probe")
    assert sarif.rc == 1 and "LORA108" in sarif.out and "ParamWrapper" in sarif.out
    github = run_cli("check", "--model", str(model), "--lora-config", str(config), "--format", "github", "--no-probe")
    assert github.rc == 1 and "::error" in github.out and "LORA108" in github.out


@pytest.mark.parametrize("dropout", [0.0])
def test_the_same_config_without_dropout_builds(tmp_path: Path, dropout: float) -> None:
    model, config = config_pair(tmp_path, dropout=dropout)
    run = run_cli("check", "--model", str(model), "--lora-config", str(config), "--format", "json", "--no-probe")
    assert "LORA108" not in run.out and run.rc in (0, 1), run


def test_an_axolotl_config_without_lora_r_is_lora108_at_the_config(tmp_path: Path) -> None:
    from tests.rules.cases.lora108_peft_rejects_config import _axolotl

    path = _axolotl(tmp_path, rank="")
    run = run_cli("check", path, "--format", "json", "--no-probe")
    assert run.rc == 1, run
    (finding,) = [f for f in json.loads(run.out)["findings"] if f["code"] == "LORA108"]
    assert finding["location"]["setting"] == "lora_r" and finding["location"]["file"].endswith("mixtral-lora.yml")
    assert "lora_r: 16" in finding["hint"] and "NoneType" in finding["message"]
