"""``--accelerate-config`` and ``--deepspeed``: the pre-flight rules read real launch files given on the command line."""

from __future__ import annotations

import json

from tests.cli.conftest import run_cli
from tests.launch_configs import accelerate_fsdp, deepspeed_json
from tests.tiny_models import saved_llama_dir


def _lora_config(tmp_path):
    path = tmp_path / "lora.json"
    path.write_text(json.dumps({"r": 8, "lora_alpha": 16, "target_modules": ["q_proj", "v_proj"]}))
    return str(path)


def _check(tmp_path, *extra):
    args = ["check", "--model", str(saved_llama_dir()), "--lora-config", _lora_config(tmp_path), "--no-probe"]
    return run_cli(*args, "--select", "LORA8", "--format", "json", *extra, cwd=tmp_path)


def test_deepspeed_zero3_without_gather_fails_pointing_at_the_json(tmp_path) -> None:
    run = _check(tmp_path, "--deepspeed", str(deepspeed_json(tmp_path)))
    assert run.rc == 1, run.err
    (finding,) = json.loads(run.out)["findings"]
    assert finding["code"] == "LORA801"
    assert finding["location"]["file"] == "ds_zero3.json"


def test_deepspeed_zero3_with_gather_passes(tmp_path) -> None:
    path = deepspeed_json(tmp_path, stage3_gather_16bit_weights_on_model_save=True)
    run = _check(tmp_path, "--deepspeed", str(path))
    assert run.rc == 0, run.out + run.err
    assert json.loads(run.out)["findings"] == []


def test_accelerate_fsdp1_config_names_the_mixed_decoder_layers(tmp_path) -> None:
    run = _check(tmp_path, "--accelerate-config", str(accelerate_fsdp(tmp_path)))
    assert run.rc == 1, run.err
    (finding,) = json.loads(run.out)["findings"]
    assert finding["code"] == "LORA802"
    assert finding["location"]["file"] == "fsdp.yaml"
    assert finding["location"]["line"] == 8
    assert finding["evidence"]["units"] == ["base_model.model.model.layers.0", "base_model.model.model.layers.1"]


def test_accelerate_fsdp2_config_passes(tmp_path) -> None:
    run = _check(tmp_path, "--accelerate-config", str(accelerate_fsdp(tmp_path, version=2)))
    assert run.rc == 0, run.out + run.err


def test_broken_accelerate_yaml_is_a_one_line_usage_error(tmp_path) -> None:
    path = tmp_path / "broken.yaml"
    path.write_text("distributed_type: FSDP\nfsdp_config:\n  fsdp_version: [1\n")
    run = _check(tmp_path, "--accelerate-config", str(path))
    assert run.rc == 2
    assert run.err.strip().count("\n") == 0 and "Traceback" not in run.err
    assert "broken.yaml: not valid YAML" in run.err


def test_mistyped_zero_stage_is_a_usage_error_naming_the_key(tmp_path) -> None:
    path = tmp_path / "ds.json"
    path.write_text(json.dumps({"zero_optimization": {"stage": "three"}}))
    run = _check(tmp_path, "--deepspeed", str(path))
    assert run.rc == 2
    assert "zero_optimization.stage must be a whole number" in run.err
    assert "Traceback" not in run.err
