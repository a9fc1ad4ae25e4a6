"""Edge cases of the saved-adapter rules (LORA601-606) on real adapters saved by peft from tiny models."""

from __future__ import annotations

import ast
import functools
import json
import re
from pathlib import Path

import pytest
import torch
from safetensors.torch import load_file, save_file

from lora_lint import Report, Severity
from tests.cli.conftest import run_cli
from tests.rules.runner import lint_target
from tests.saved_adapters import (
    bart_classifier,
    bart_seq_cls,
    copy_tree,
    edit_config,
    llama_base_dir,
    rewrite_tensors,
    train_steps,
    trained_bert_classifier,
    trained_llama,
    two_adapters,
    untrained_llama,
    write_trainer_state,
)
from tests.session_cache import cache_dir
from tests.tiny_models import bert_classifier, gpt2, llama, llama_config, lora, moe
from tests.versions import fused_experts_only


def _bases() -> Path:
    return cache_dir("base-models")


def check(target: Path, select: str = "LORA6", **options: object) -> Report:
    return lint_target(target, select, **options)


@functools.cache
def wide_llama_config_dir() -> Path:
    """config.json only (no weights) of a Llama whose layers are wider than the tiny one's."""
    path = _bases() / "llama-wide"
    llama_config(hidden_size=96, intermediate_size=128, num_attention_heads=4, num_key_value_heads=2).save_pretrained(path)
    return path


@functools.cache
def bart_base_dir(with_head: bool = True) -> Path:
    path = _bases() / f"bart-{int(with_head)}"
    bart_classifier().save_pretrained(path)
    if not with_head:  # a backbone checkpoint: transformers initialises the head at load
        weights = path / "model.safetensors"
        tensors = load_file(str(weights))
        save_file({k: v for k, v in tensors.items() if not k.startswith("classification_head.")}, str(weights))
    return path


@functools.cache
def bert_base_dir() -> Path:
    path = _bases() / "bert"
    bert_classifier().save_pretrained(path)
    return path


# -- LORA601 ----------------------------------------------------------------------------------------


def test_an_untrained_adapter_names_how_many_layers_are_no_ops() -> None:
    (finding,) = check(untrained_llama()).findings
    assert finding.code == "LORA601" and finding.severity is Severity.ERROR
    assert "all 4 lora_B tensors" in finding.message and "no-op" in finding.message
    assert finding.evidence["layers"] == 4


def test_a_step_zero_checkpoint_is_only_info(tmp_path: Path) -> None:
    folder = copy_tree(untrained_llama(), tmp_path / "checkpoint-0")
    write_trainer_state(folder, 0)
    (finding,) = check(folder).findings
    assert finding.severity is Severity.INFO and "global_step 0" in finding.message
    write_trainer_state(folder, 50)
    assert check(folder).findings[0].severity is Severity.ERROR


def test_layers_that_never_trained_are_a_warning_naming_them(tmp_path: Path) -> None:
    folder = copy_tree(trained_llama(), tmp_path / "adapter")

    def freeze_one(tensors: dict) -> None:
        tensors["base_model.model.model.layers.1.self_attn.v_proj.lora_B.weight"].zero_()

    rewrite_tensors(folder, freeze_one)
    (finding,) = check(folder).findings
    assert finding.severity is Severity.WARNING
    assert "1 of 4 layers" in finding.message and "model.layers.1.self_attn.v_proj" in finding.message


def test_the_untrained_one_of_two_adapters_is_named_with_its_own_file(tmp_path: Path) -> None:
    folder = copy_tree(two_adapters(), tmp_path / "two")
    rewrite_tensors(folder / "other", lambda t: [v.zero_() for k, v in t.items() if "lora_B" in k])
    (finding,) = check(folder).findings
    assert finding.location.adapter == "other"
    assert finding.location.file == str(folder / "other" / "adapter_model.safetensors")


# -- LORA602 ----------------------------------------------------------------------------------------


def test_inf_in_a_bf16_adapter_is_found(tmp_path: Path) -> None:
    folder = copy_tree(trained_llama(), tmp_path / "bf16")

    def overflow(tensors: dict) -> None:
        for key in tensors:
            tensors[key] = tensors[key].to(torch.bfloat16)
        tensors["base_model.model.model.layers.0.self_attn.q_proj.lora_B.weight"][0, :2] = float("inf")

    rewrite_tensors(folder, overflow)
    (finding,) = check(folder).by_code("LORA602")
    assert "(0 NaN, 2 Inf)" in finding.message
    assert finding.location.parameter == "model.layers.0.self_attn.q_proj.lora_B.weight"


# -- LORA603 ----------------------------------------------------------------------------------------


def test_an_r_edited_after_training_does_not_fit_the_tensors(tmp_path: Path) -> None:
    folder = copy_tree(trained_llama(), tmp_path / "adapter")
    edit_config(folder, r=16)
    (finding,) = check(folder).findings
    assert finding.code == "LORA603"
    assert "4 layers" in finding.message and "saved with rank 8, config gives r=16" in finding.message
    assert finding.location.setting == "r: 16"


def test_rank_pattern_sets_the_rank_each_layer_is_checked_against(tmp_path: Path) -> None:
    train_steps(lora(llama(), rank_pattern={"v_proj": 4})).save_pretrained(tmp_path / "pattern")
    assert not check(tmp_path / "pattern").findings
    edit_config(tmp_path / "pattern", rank_pattern={})
    (finding,) = check(tmp_path / "pattern").findings
    assert "2 layers" in finding.message and "v_proj (saved with rank 4, config gives r=8)" in finding.message


def test_tensors_of_layers_the_config_no_longer_targets(tmp_path: Path) -> None:
    folder = copy_tree(trained_llama(), tmp_path / "adapter")
    edit_config(folder, target_modules=["q_proj"])
    (finding,) = check(folder).findings
    assert "2 layers that target_modules ['q_proj'] does not select" in finding.message


def test_with_the_base_layer_sizes_are_checked() -> None:
    report = check(trained_llama(), model=str(wide_llama_config_dir()))
    (finding,) = report.by_code("LORA603")
    assert "do not fit the layers of LlamaForCausalLM" in finding.message
    assert "takes 64 inputs, the layer has 96" in finding.message


def test_with_the_base_targeted_layers_without_tensors_load_untrained(tmp_path: Path) -> None:
    folder = copy_tree(trained_llama(), tmp_path / "adapter")
    edit_config(folder, target_modules=["q_proj", "v_proj", "k_proj"])
    (finding,) = check(folder, model=str(llama_base_dir())).by_code("LORA603")
    assert "targets 2 layers" in finding.message and "self_attn.k_proj" in finding.message


def test_a_sane_adapter_with_its_base_is_quiet() -> None:
    for folder in (trained_llama(), two_adapters()):
        report = check(folder, select="LORA", model=str(llama_base_dir()))
        assert not report.findings, report.format_findings()


# -- LORA604 ----------------------------------------------------------------------------------------


def test_a_config_without_weights(tmp_path: Path) -> None:
    folder = copy_tree(trained_llama(), tmp_path / "adapter")
    (folder / "adapter_model.safetensors").unlink()
    (finding,) = check(folder).findings
    assert finding.code == "LORA604" and "no adapter_model.safetensors" in finding.message
    assert finding.location.file == str(folder / "adapter_config.json")


def test_a_weights_file_without_tensors(tmp_path: Path) -> None:
    folder = copy_tree(trained_llama(), tmp_path / "adapter")
    save_file({}, str(folder / "adapter_model.safetensors"))
    (finding,) = check(folder).findings
    assert finding.code == "LORA604" and "holds no tensors" in finding.message


def test_flattened_shards_are_empty_not_misshaped(tmp_path: Path) -> None:
    folder = copy_tree(trained_llama(), tmp_path / "adapter")
    rewrite_tensors(folder, lambda t: t.update({k: v.flatten()[:10].clone() for k, v in t.items()}))
    report = check(folder)
    assert report.codes == {"LORA604"}, report.format_findings()
    assert "flattened" in report.findings[0].message


# -- LORA605 ----------------------------------------------------------------------------------------


def test_a_language_model_prefix_is_reported_through_the_cli(tmp_path: Path) -> None:
    folder = copy_tree(trained_llama(), tmp_path / "vlm")
    rewrite_tensors(
        folder,
        lambda t: t.update({k.replace("base_model.model.", "base_model.model.language_model."): t.pop(k) for k in list(t)}),
    )
    result = run_cli("check", str(folder), "--model", str(llama_base_dir()), "--select", "LORA605", "--format", "json")
    assert result.rc == 1, result.err
    (finding,) = json.loads(result.out)["findings"]
    assert "all 8 saved tensors" in finding["message"]
    assert "extra 'language_model.' prefix" in finding["message"]
    assert finding["location"]["file"] == str(folder / "adapter_model.safetensors")


def test_an_adapter_of_another_model_class(tmp_path: Path) -> None:
    train_steps(lora(gpt2(), target_modules=["c_attn"], fan_in_fan_out=True)).save_pretrained(tmp_path / "gpt2")
    (finding,) = check(tmp_path / "gpt2", select="LORA605", model=str(llama_base_dir())).findings
    assert "trained on another model" in finding.message


def test_without_a_base_keys_are_not_judged() -> None:
    report = check(trained_llama(), select="LORA605")
    assert not report.findings
    assert any("LORA605" in n.message for n in report.notes)


@fused_experts_only
def test_fused_experts_saved_through_nested_param_wrappers_map_onto_their_module(tmp_path: Path) -> None:
    from peft import PeftModel

    # two target_parameters on one module: peft nests ParamWrappers and saves the inner one under .base_layer
    model = lora(moe(), target_modules=["w1", "w2", "w3"], lora_dropout=0.0, init_lora_weights=False)
    model.save_pretrained(tmp_path / "adapter")
    moe().save_pretrained(tmp_path / "base")
    saved = load_file(tmp_path / "adapter" / "adapter_model.safetensors")
    assert any(".mlp.experts.base_layer.lora_A." in k for k in saved)
    reloaded = dict(PeftModel.from_pretrained(moe(), tmp_path / "adapter").named_parameters())
    assert all(torch.equal(p, reloaded[n]) for n, p in model.named_parameters() if "lora_" in n)  # peft maps all
    report = check(tmp_path / "adapter", select="LORA605", model=str(tmp_path / "base"))
    assert not report.findings, report.format_findings()
    # the same keys onto a model without those experts still do not map
    (finding,) = check(tmp_path / "adapter", select="LORA605", model=str(llama_base_dir())).findings
    assert "all 8 saved tensors" in finding.message


# -- LORA606 ----------------------------------------------------------------------------------------


def test_with_the_base_the_missing_head_is_named_by_its_real_module() -> None:
    (finding,) = check(bart_seq_cls(), select="LORA606", model=str(bart_base_dir())).findings
    assert "head classification_head" in finding.message
    assert "peft adds only classifier, score by itself" in finding.message
    assert "modules_to_save=['classification_head']" in finding.hint


def test_without_the_base_the_hint_does_not_ask_for_the_names_the_file_lacks() -> None:
    (finding,) = check(bart_seq_cls(), select="LORA606").findings
    assert "head classifier, score" in finding.message
    assert "classifier" not in finding.hint and "--model" in finding.hint


def test_the_head_the_hint_names_saved_is_quiet() -> None:
    (finding,) = check(bart_seq_cls(), select="LORA606", model=str(bart_base_dir())).findings
    entries = ast.literal_eval(re.search(r"modules_to_save=(\[[^\]]*\])", finding.hint).group(1))
    report = check(bart_seq_cls(modules_to_save=tuple(entries)), select="LORA6", model=str(bart_base_dir()))
    assert not report.findings, report.format_findings()


def test_a_saved_head_is_quiet_with_and_without_the_base() -> None:
    assert not check(bart_seq_cls(head_saved=True), select="LORA606", model=str(bart_base_dir())).findings
    assert not check(trained_bert_classifier(), select="LORA606").findings
    assert not check(trained_bert_classifier(), select="LORA606", model=str(bert_base_dir())).findings


def test_an_adapter_without_task_type_on_a_backbone_checkpoint(tmp_path: Path) -> None:
    # wrapped without task_type: the fresh head was frozen, and the adapter saved without it
    lora(bart_classifier(), target_modules=["q_proj", "v_proj"], task_type=None).save_pretrained(tmp_path / "a")
    (finding,) = check(tmp_path / "a", select="LORA606", model=str(bart_base_dir(with_head=False))).findings
    assert "the base is BartForSequenceClassification" in finding.message
    # a base checkpoint that carries its own trained head needs none in the adapter
    assert not check(tmp_path / "a", select="LORA606", model=str(bart_base_dir(with_head=True))).findings


@pytest.mark.parametrize("code", ["LORA601", "LORA602", "LORA603", "LORA604", "LORA605", "LORA606"])
def test_a_trained_adapter_is_quiet_for_every_artifact_rule(code: str) -> None:
    assert not check(trained_llama(), select=code, model=str(llama_base_dir())).findings
