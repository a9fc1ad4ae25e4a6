"""``lora-lint check`` run as users run it, one subprocess per route (each imports torch: ~5 s)."""

from __future__ import annotations

import json
import textwrap
from pathlib import Path

from tests.cli.conftest import SEED, run_cli, write_json
from tests.tiny_models import LLAMA_CONFIG_SOURCE

FACTORY_AND_7B = """\
examples/wrong_targets.py:build

  errors (1)
    LORA101 target-unmatched  examples/wrong_targets.py:14 target_modules: 'value'
      target_modules entry 'value' matches no module of LlamaForCausalLM
      fix: Closest real names: v_proj.

  notes
    - trainable parameters: 2,048 of 92,480 (2.2145%)

examples/llama2-7b/lora_config.json on examples/llama2-7b
  no problems found

  notes
    - examples/llama2-7b has no weights: built LlamaForCausalLM on the meta device
    - trainable parameters: 4,194,304 of 6,742,609,920 (0.0622%)

Found 1 error, 0 warnings, 0 info in 2 targets: LORA101.
"""

PACKAGE = LLAMA_CONFIG_SOURCE + '''
from peft import LoraConfig, get_peft_model
from transformers import LlamaForCausalLM


def _base():
    return LlamaForCausalLM(tiny_llama_config())


def good():
    return get_peft_model(_base(), LoraConfig(r=8, lora_alpha=16, target_modules=["q_proj", "v_proj"]))


def bert_names():
    # every entry is wrong: peft raises, lora-lint lints the base and the config instead
    return get_peft_model(_base(), LoraConfig(r=8, lora_alpha=16, target_modules=["query", "value"]))
'''


def test_factory_and_meta_7b_routes_print_exact_text_and_exit_1() -> None:
    run = run_cli(
        "check",
        "examples/wrong_targets.py:build",
        "--model",
        "examples/llama2-7b",
        "--lora-config",
        "examples/llama2-7b/lora_config.json",
        "--select",
        "LORA101",
    )
    assert run.out == FACTORY_AND_7B
    assert run.err == ""  # no progress off a terminal, no library noise
    assert run.rc == 1


def test_module_factories_from_the_working_directory_and_peft_errors_as_lora101(tmp_path: Path) -> None:
    (tmp_path / "proj").mkdir()
    (tmp_path / "proj" / "__init__.py").write_text("")
    (tmp_path / "proj" / "factories.py").write_text(textwrap.dedent(PACKAGE))
    run = run_cli("check", "proj.factories:good", "proj.factories:bert_names", "--format", "json", "--no-probe", cwd=tmp_path)
    assert run.rc == 1, run.err
    data = json.loads(run.out)
    assert data["summary"]["targets"] == ["proj.factories:good", "proj.factories:bert_names"]
    lora101 = [f for f in data["findings"] if f["code"] == "LORA101"]
    assert [f["target"] for f in lora101] == ["proj.factories:bert_names"] * 2
    assert sorted((f["evidence"]["entry"], f["evidence"]["closest"][0]) for f in lora101) == [
        ("query", "q_proj"),
        ("value", "v_proj"),
    ]
    keyword = 1 + next(i for i, line in enumerate(PACKAGE.splitlines()) if '["query", "value"]' in line)
    assert {(f["location"]["file"], f["location"]["line"]) for f in lora101} == {("proj/factories.py", keyword)}
    assert not [f for f in data["findings"] if f["target"] == "proj.factories:good"]
    assert any("raised peft's" in n["message"] for n in data["notes"] if n["target"] == "proj.factories:bert_names")


def test_llama_names_on_a_gpt2_config_suggest_c_attn_without_peft_raising(gpt2_config_dir: Path, tmp_path: Path) -> None:
    config = write_json(tmp_path / "lora.json", SEED)
    run = run_cli("check", "--model", str(gpt2_config_dir), "--lora-config", str(config), "--format", "json")
    assert run.rc == 1, run.err
    findings = json.loads(run.out)["findings"]
    lora101 = [f for f in findings if f["code"] == "LORA101"]
    assert [f["evidence"]["entry"] for f in lora101] == ["q_proj", "v_proj"]
    assert all(f["evidence"]["closest"][0] == "c_attn" for f in lora101)
    assert {f["location"]["file"] for f in lora101} == {str(config)}
    assert [f["location"]["line"] for f in lora101] == [5, 6]  # each entry's line in the indented JSON


def test_a_remote_code_model_reports_cannot_verify_as_info(remote_code_dir: Path, tmp_path: Path) -> None:
    config = write_json(tmp_path / "lora.json", SEED)
    args = ("check", "--model", str(remote_code_dir), "--lora-config", str(config), "--format", "json", "--fail-on", "info")
    run = run_cli(*args)
    data = json.loads(run.out)
    (finding,) = [f for f in data["findings"] if f["code"] == "LORA101"]
    assert finding["severity"] == "info"
    assert finding["message"].startswith("cannot verify targets: ")
    assert run.rc == 1  # info fails only because --fail-on info asked for it


def test_weights_in_4bit_with_an_adapter_folder_as_config_and_saved_adapter_and_run_targets() -> None:
    from tests.saved_adapters import trained_llama, training_run
    from tests.tiny_models import saved_llama_dir

    adapter, run_dir, base = str(trained_llama()), training_run(), str(saved_llama_dir())
    args = (adapter, str(run_dir), "--model", base, "--lora-config", adapter, "--load-in-4bit", "--device", "cpu")
    run = run_cli("check", *args, "--format", "json")
    assert run.rc == 0, run.out + run.err
    data = json.loads(run.out)
    assert data["findings"] == []
    assert data["summary"]["targets"] == [
        adapter,
        str(run_dir / "checkpoint-10"),
        str(run_dir / "checkpoint-20"),
        f"{adapter} on {base}",
    ]
    notes = [n["message"] for n in data["notes"] if n["target"] == f"{adapter} on {base}"]
    assert notes[0] == f"loaded LlamaForCausalLM from {base} on cpu in 4-bit"
    assert notes[1].startswith("trainable parameters: ")
