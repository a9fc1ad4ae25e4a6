"""LORA208 beyond its contract cases: peft's ensure_weight_tying, an untied model, a config with --model, a merged folder."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.cli.conftest import SEED, run_cli, write_json
from tests.merged_models import merged_setup
from tests.rules.runner import run_case
from tests.tiny_models import llama, lora


def _codes(model) -> set[str]:
    return run_case(model, probe=False).codes


def test_ensure_weight_tying_is_respected_where_peft_has_it() -> None:
    from lora_lint.facts.tied import peft_keeps_ties

    if not peft_keeps_ties():
        pytest.skip("the installed peft has no ensure_weight_tying")
    model = lora(llama(tie_word_embeddings=True), modules_to_save=["lm_head"], ensure_weight_tying=True)
    assert "LORA208" not in _codes(model)


def test_an_untied_model_may_save_its_head_alone() -> None:
    assert "LORA208" not in _codes(lora(llama(), modules_to_save=["lm_head"]))


def test_embed_tokens_as_a_lora_target_alone_splits_the_pair() -> None:
    report = run_case(lora(llama(tie_word_embeddings=True), target_modules=["q_proj", "embed_tokens"]), probe=False)
    (finding,) = [f for f in report.findings if f.code == "LORA208"]
    assert "model.embed_tokens" in finding.message and "target_modules" in finding.message


def test_a_config_checked_against_a_tied_base_fires(tmp_path: Path) -> None:
    llama(tie_word_embeddings=True).config.save_pretrained(tmp_path / "base")
    config = write_json(tmp_path / "lora.json", {**SEED, "modules_to_save": ["lm_head"]})
    run = run_cli("check", "--model", str(tmp_path / "base"), "--lora-config", str(config), "-f", "json", "--select", "LORA208")
    assert run.rc == 1, run.out + run.err
    assert [f["code"] for f in json.loads(run.out)["findings"]] == ["LORA208"]


def _tied_base(folder: Path) -> Path:
    llama(tie_word_embeddings=True).save_pretrained(folder)
    return folder


def test_a_merged_folder_whose_tied_tensors_differ_fires(tmp_path: Path) -> None:
    from safetensors.torch import load_file, save_file

    base = _tied_base(tmp_path / "base")
    merged = tmp_path / "merged"
    llama(tie_word_embeddings=True).save_pretrained(merged)
    tensors = load_file(str(merged / "model.safetensors"))
    assert "lm_head.weight" not in tensors  # a tied save keeps one side
    tensors["lm_head.weight"] = tensors["model.embed_tokens.weight"] + 0.1  # a trained head saved beside it
    tensors["model.layers.0.self_attn.q_proj.weight"] += 0.01  # something merged, so LORA607 stays out
    save_file(tensors, str(merged / "model.safetensors"), metadata={"format": "pt"})
    report = run_case(merged_setup(merged, base=base), probe=False)
    assert report.codes == {"LORA208"}, report.format_findings()
    assert "lm_head" in report.findings[0].message


def test_a_merged_tied_folder_saved_normally_is_quiet(tmp_path: Path) -> None:
    from peft import PeftModel

    from tests.saved_adapters import train_steps

    base = _tied_base(tmp_path / "base")
    adapter = tmp_path / "adapter"
    train_steps(lora(llama(tie_word_embeddings=True))).save_pretrained(adapter)
    merged = tmp_path / "merged"
    PeftModel.from_pretrained(llama(tie_word_embeddings=True), str(adapter)).merge_and_unload().save_pretrained(merged)
    report = run_case(merged_setup(merged, adapter, base), probe=False)
    assert not report.findings, report.format_findings()
