"""``check MERGED_DIR --model BASE [--adapter ADAPTER]`` on real merges of the tiny Llama (peft merge_and_unload)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from tests.cli.conftest import run_cli
from tests.merged_models import correct_merge, four_bit_merge, merged_setup, other_alpha_merge, unmerged_copy
from tests.rules.runner import run_case
from tests.saved_adapters import trained_llama, untrained_llama
from tests.tiny_models import llama, lora, saved_llama_dir


def _lint(folder: Path, adapter: Path | None = None, base: Path | None = None):
    return run_case(merged_setup(folder, adapter, base), probe=False)


def test_correct_merge_is_quiet_and_every_target_is_compared() -> None:
    setup = merged_setup(correct_merge(), trained_llama())
    report = run_case(setup, probe=False)
    assert not report.findings, report.format_findings()
    from lora_lint.context import RuleContext
    from lora_lint.settings import Settings

    facts = RuleContext(setup, Settings()).merged
    assert facts is not None and len(facts.layers) == 4  # q_proj and v_proj of 2 layers
    assert all(layer.relative_error is not None and layer.relative_error < 1e-5 for layer in facts.layers)


def test_unmerged_copy_fires_607_with_and_without_the_adapter() -> None:
    assert _lint(unmerged_copy(), trained_llama()).codes == {"LORA607"}
    report = _lint(unmerged_copy())
    assert report.codes == {"LORA607"}
    assert not [n for n in report.notes if "needs a LoRA config" in n.message or "LORA1" in n.message], report.notes
    assert "every 2-D weight" in report.findings[0].message


def test_untrained_adapter_merged_says_the_update_is_zero() -> None:
    from peft import PeftModel

    folder = correct_merge().parent / "untrained-merge"
    if not folder.exists():
        PeftModel.from_pretrained(llama(), str(untrained_llama())).merge_and_unload().save_pretrained(folder)
    (finding,) = _lint(folder, untrained_llama()).findings
    assert finding.code == "LORA607" and "lora_B never trained" in finding.message


def test_another_alpha_is_named_with_the_ratio_and_the_alpha() -> None:
    (finding,) = _lint(other_alpha_merge(), trained_llama()).findings
    assert finding.code == "LORA608"
    assert "2x the adapter's in every layer" in finding.message and "lora_alpha 32 instead of 16" in finding.message
    assert "4 of 4 layers" in finding.message and "tolerance 0.01 for F32" in finding.message


def test_merge_through_a_4bit_base_is_named_as_the_quantization_error() -> None:
    (finding,) = _lint(four_bit_merge(), trained_llama()).findings
    assert finding.code == "LORA608"
    assert "4-bit grid" in finding.message and "another alpha" not in finding.message


def test_another_base_is_neither_ratio_nor_grid(tmp_path: Path) -> None:
    import torch
    from transformers import LlamaForCausalLM

    from tests.tiny_models import llama_config

    torch.manual_seed(7)  # same architecture, other weights
    LlamaForCausalLM(llama_config()).save_pretrained(tmp_path / "other")
    (finding,) = _lint(correct_merge(), trained_llama(), base=tmp_path / "other").findings
    assert finding.code == "LORA608" and "another base" in finding.message


def test_sharded_checkpoints_are_read_through_their_index(tmp_path: Path) -> None:
    from peft import PeftModel
    from safetensors import safe_open

    merged, base = tmp_path / "merged", tmp_path / "base"
    PeftModel.from_pretrained(llama(), str(trained_llama())).merge_and_unload().save_pretrained(merged, max_shard_size="50KB")
    llama().save_pretrained(base, max_shard_size="50KB")
    assert (merged / "model.safetensors.index.json").is_file() and len(list(merged.glob("*.safetensors"))) > 2
    assert not _lint(merged, trained_llama(), base).findings
    assert _lint(base, trained_llama(), base).codes == {"LORA607"}
    with safe_open(str(next(merged.glob("*.safetensors"))), framework="numpy") as f:
        assert list(f.keys())


def test_dora_adapter_in_float32_is_quiet_and_says_the_delta_cannot_be_checked(tmp_path: Path) -> None:
    from peft import PeftModel

    from tests.saved_adapters import train_steps

    adapter = tmp_path / "dora"
    train_steps(lora(llama(), use_dora=True)).save_pretrained(adapter)
    merged = tmp_path / "merged"
    PeftModel.from_pretrained(llama(), str(adapter)).merge_and_unload().save_pretrained(merged)
    report = _lint(merged, adapter)
    assert not report.findings, report.format_findings()
    assert any("DoRA" in n.message and "cannot be checked" in n.message for n in report.notes)


def test_cli_reports_607_and_608_and_exits_1() -> None:
    base = str(saved_llama_dir())
    run = run_cli("check", str(other_alpha_merge()), "--model", base, "--adapter", str(trained_llama()), "-f", "json")
    assert run.rc == 1, run.err
    assert [f["code"] for f in json.loads(run.out)["findings"]] == ["LORA608"]
    run = run_cli("check", str(correct_merge()), "--model", base, "--adapter", str(trained_llama()))
    assert run.rc == 0, run.out + run.err


# -- bad input: one line, exit 2 --------------------------------------------------------------------


def _one_line_exit_2(*args: str) -> str:
    run = run_cli("check", *args)
    assert run.rc == 2, run.out + run.err
    assert len(run.err_lines) == 1 and "Traceback" not in run.err, run.err
    return run.err


def test_another_architecture_is_refused(tmp_path: Path) -> None:
    from tests.tiny_models import gpt2

    gpt2().save_pretrained(tmp_path / "gpt2")
    err = _one_line_exit_2(str(tmp_path / "gpt2"), "--model", str(saved_llama_dir()))
    assert "GPT2LMHeadModel" in err and "LlamaForCausalLM" in err


def test_a_missing_shard_is_refused(tmp_path: Path) -> None:
    merged = tmp_path / "merged"
    llama().save_pretrained(merged, max_shard_size="50KB")
    shard = sorted(merged.glob("model-*.safetensors"))[1]
    shard.unlink()
    err = _one_line_exit_2(str(merged), "--model", str(saved_llama_dir()), "--adapter", str(trained_llama()))
    assert "misses shard" in err and shard.name in err


def test_another_dtype_is_refused(tmp_path: Path) -> None:
    import torch

    llama().to(torch.float16).save_pretrained(tmp_path / "half")
    err = _one_line_exit_2(str(tmp_path / "half"), "--model", str(saved_llama_dir()))
    assert "F16" in err and "F32" in err and "one dtype" in err


def test_a_merged_folder_that_holds_an_adapter_is_refused(tmp_path: Path) -> None:
    err = _one_line_exit_2(str(trained_llama()), "--model", str(saved_llama_dir()), "--adapter", str(trained_llama()))
    assert "holds an adapter" in err


def test_adapter_without_a_base_is_refused() -> None:
    err = _one_line_exit_2(str(correct_merge()), "--adapter", str(trained_llama()))
    assert "--model" in err


@pytest.fixture(autouse=True)
def _offline(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")


def test_a_copied_base_is_not_mistaken_for_a_changed_one(tmp_path: Path) -> None:
    copy = tmp_path / "copy"
    shutil.copytree(saved_llama_dir(), copy)
    assert _lint(copy).codes == {"LORA607"}
