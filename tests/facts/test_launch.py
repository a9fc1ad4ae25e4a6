"""Launch facts from real accelerate YAML and DeepSpeed JSON files: values, defaults, "auto", and the line of each key."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from lora_lint.errors import UsageError
from lora_lint.facts.launch import WrapPolicy, read_launch, under_trainer
from tests.launch_configs import accelerate_fsdp, accelerate_multi_gpu, deepspeed_json


def test_nothing_given_and_one_process_is_no_launch() -> None:
    assert read_launch(environ={}) is None
    assert read_launch(environ={"WORLD_SIZE": "1"}).world_size.value == 1


def test_torchrun_world_size_comes_from_the_environment() -> None:
    facts = read_launch(environ={"WORLD_SIZE": "4"})
    assert facts.world_size.value == 4 and facts.world_size.file is None
    assert facts.data_parallel


def test_accelerate_fsdp_file_gives_version_orig_params_policy_and_lines(tmp_path) -> None:
    path = accelerate_fsdp(tmp_path, layer_cls="LlamaDecoderLayer,LlamaMLP", processes=8)
    facts = read_launch(accelerate_config=path, environ={"WORLD_SIZE": "2"})
    assert facts.fsdp_version.value == 1 and facts.fsdp_version.line == 9
    assert (facts.use_orig_params.value, facts.use_orig_params.line) == (False, 8)
    assert facts.wrap.value == WrapPolicy("transformer", ("LlamaDecoderLayer", "LlamaMLP"))
    assert (facts.world_size.value, facts.world_size.key, facts.world_size.line) == (8, "num_processes", 14)
    assert facts.zero_stage is None


def test_fsdp_defaults_are_accelerates(tmp_path) -> None:
    path = tmp_path / "min.yaml"
    path.write_text("distributed_type: FSDP\nnum_processes: 2\n")
    facts = read_launch(accelerate_config=path, environ={})
    assert facts.fsdp_version.value == 1 and facts.use_orig_params.value is False
    assert facts.wrap.value.kind == "none" and facts.use_orig_params.line is None


def test_zero3_gather_flag_missing_true_and_legacy_fp16_name(tmp_path) -> None:
    assert read_launch(deepspeed=deepspeed_json(tmp_path), environ={}).gather_on_save.value is False
    on = read_launch(deepspeed=deepspeed_json(tmp_path, stage3_gather_16bit_weights_on_model_save=True), environ={})
    assert on.gather_on_save.value is True and on.gather_on_save.line == 9
    legacy = read_launch(deepspeed=deepspeed_json(tmp_path, stage3_gather_fp16_weights_on_model_save=True), environ={})
    assert legacy.gather_on_save.value is True


@pytest.mark.parametrize(("accelerate_flag", "expected"), [(None, False), ("true", True), ("false", False)])
def test_auto_gather_takes_accelerates_zero3_save_16bit_model(tmp_path, accelerate_flag, expected) -> None:
    ds = deepspeed_json(tmp_path, stage3_gather_16bit_weights_on_model_save="auto")
    lines = ["distributed_type: DEEPSPEED", "deepspeed_config:", f"  deepspeed_config_file: {ds.name}"]
    if accelerate_flag is not None:
        lines.append(f"  zero3_save_16bit_model: {accelerate_flag}")
    lines.append("num_processes: 2")
    acc = tmp_path / "ds.yaml"
    acc.write_text("\n".join(lines) + "\n")
    facts = read_launch(accelerate_config=acc, environ={})
    assert facts.zero_stage.value == 3 and facts.zero_stage.file == str(ds)
    assert facts.gather_on_save.value is expected
    assert facts.files == (str(acc), str(ds))


def test_accelerate_deepspeed_without_a_json(tmp_path) -> None:
    acc = tmp_path / "ds.yaml"
    acc.write_text("distributed_type: DEEPSPEED\ndeepspeed_config:\n  zero_stage: 3\n  zero3_save_16bit_model: true\n")
    facts = read_launch(accelerate_config=acc, environ={})
    assert (facts.zero_stage.value, facts.zero_stage.line) == (3, 3)
    assert (facts.gather_on_save.value, facts.gather_on_save.line) == (True, 4)


def test_multi_gpu_file_has_a_world_size_and_no_sharding(tmp_path) -> None:
    facts = read_launch(accelerate_config=accelerate_multi_gpu(tmp_path, 4), environ={})
    assert facts.world_size.value == 4 and facts.fsdp_version is None and facts.wrap is None


def test_under_trainer_switches_to_peft_policy_and_keeps_the_location(tmp_path) -> None:
    facts = under_trainer(read_launch(accelerate_config=accelerate_fsdp(tmp_path), environ={}))
    assert facts.wrap.value.kind == "peft" and facts.wrap.line == 4


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("distributed_type: FSDP\nfsdp_config:\n  fsdp_auto_wrap_policy: LAYER_WRAP\n", "fsdp_auto_wrap_policy must be one of"),
        ("distributed_type: FSDP\nfsdp_config:\n  fsdp_use_orig_params: maybe\n", "fsdp_use_orig_params must be true or false"),
        ("num_processes: two\n", "num_processes must be a whole number"),
        ("- a list\n", "must be a mapping"),
        ("key: [unclosed\n", "not valid YAML"),
    ],
)
def test_mistyped_accelerate_files_are_usage_errors_naming_the_key(tmp_path, text, message) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text(text)
    with pytest.raises(UsageError, match=message):
        read_launch(accelerate_config=path, environ={})


def test_zero_stage_out_of_range_and_broken_json(tmp_path) -> None:
    path = tmp_path / "ds.json"
    path.write_text(json.dumps({"zero_optimization": {"stage": 4}}))
    with pytest.raises(UsageError, match="must be 0, 1, 2 or 3"):
        read_launch(deepspeed=path, environ={})
    path.write_text('{"zero_optimization": {"stage": 3,}}')
    with pytest.raises(UsageError, match="not valid JSON at line 1"):
        read_launch(deepspeed=path, environ={})


def test_reading_launch_files_imports_no_torch(tmp_path) -> None:
    path = accelerate_fsdp(tmp_path)
    code = (
        "import sys; from pathlib import Path; from lora_lint.facts.launch import read_launch; "
        f"read_launch(Path({str(path)!r}), environ={{}}); print('torch' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "False"
