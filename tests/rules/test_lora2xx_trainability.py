"""Trainability rules (LORA201-207) and the optimizer check (LORA405) on tiny real models."""

from __future__ import annotations

import warnings
from collections.abc import Callable
from typing import Any

import pytest
import torch

from lora_lint import Report, Severity, lint
from tests.rules.runner import only
from tests.versions import PEFT, VIT_QV
from tests.tiny_models import (
    bert_classifier,
    distilbert_classifier,
    gpt2,
    llama,
    llama_kbit,
    lora,
    moe,
    on_meta,
    saved_llama_dir,
    t5,
    vit_classifier,
)

FAMILY = ["LORA2", "LORA405"]


def check(model: Any, **kwargs: Any) -> Report:
    kwargs.setdefault("probe", False)
    return lint(model, select=FAMILY, **kwargs)


def quietly(build: Callable[[], Any]) -> Any:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return build()


def _unfreeze_all(model: Any) -> Any:
    for p in model.parameters():
        p.requires_grad = True
    return model


def _saved_adapter(tmp_path: Any, name: str = "adapter", **kwargs: Any) -> Any:
    path = tmp_path / name
    lora(llama(), **kwargs).save_pretrained(path)
    return path


def _resized(rows: int = 136) -> Any:
    from transformers import AutoModelForCausalLM

    base = AutoModelForCausalLM.from_pretrained(saved_llama_dir())
    base.resize_token_embeddings(rows, mean_resizing=False)
    return base.eval()


def test_a_correct_setup_built_on_the_meta_device_is_quiet() -> None:
    assert not check(lora(on_meta(llama), modules_to_save=["lm_head"])).findings


# -- LORA201 base-leak -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "build",
    [lambda: lora(llama()), lambda: lora(gpt2(), target_modules=["c_attn"]), lambda: lora(t5(), target_modules=["q", "v"], task_type="SEQ_2_SEQ_LM")],
    ids=["llama", "gpt2", "t5"],
)
def test_full_fine_tuning_code_after_wrapping_is_one_base_leak(build) -> None:
    (finding,) = only(check(_unfreeze_all(quietly(build))), "LORA201")
    assert "full fine-tuning" in finding.message
    assert finding.evidence["parameters"] > 0


def test_it_names_the_module_and_count_of_a_single_unfrozen_norm() -> None:
    model = lora(llama())
    model.base_model.model.model.norm.weight.requires_grad = True
    (finding,) = only(check(model), "LORA201")
    assert finding.message.startswith("model.norm (weight: 64 parameters in 1 tensors)")
    assert finding.location.parameter == "base_model.model.model.norm.weight"
    assert "'model.norm' to modules_to_save" in finding.hint


def test_repeated_layers_are_grouped_with_their_count() -> None:
    model = quietly(lambda: lora(gpt2(), target_modules=["c_attn"]))
    for block in model.base_model.model.transformer.h:
        block.ln_1.weight.requires_grad = True
    (finding,) = only(check(model), "LORA201")
    assert finding.location.module == "transformer.h.0.ln_1"
    assert "2 modules transformer.h.*.ln_1 (weight: 128 parameters in 2 tensors)" in finding.message


def test_manually_unfrozen_biases_suggest_the_bias_setting() -> None:
    model = lora(bert_classifier(), target_modules=["query", "value"], task_type="SEQ_CLS")
    for name, p in model.named_parameters():
        if name.endswith(".bias"):
            p.requires_grad = True
    (finding,) = only(check(model), "LORA201")
    assert 'bias="all"' in finding.hint


def test_a_leak_on_a_4bit_base_is_reported() -> None:
    model = lora(llama_kbit(4))
    model.base_model.model.model.norm.weight.requires_grad = True
    assert only(check(model), "LORA201")[0].location.module == "model.norm"


@pytest.mark.parametrize(
    "build",
    [
        lambda: lora(llama(), modules_to_save=["lm_head"]),
        lambda: lora(bert_classifier(), target_modules=["query", "value"], bias="all", task_type="SEQ_CLS"),
        lambda: lora(gpt2(), target_modules=["c_attn"], bias="lora_only"),
        lambda: lora(llama(), trainable_token_indices=[1, 2]),
    ],
    ids=["modules_to_save", "bias-all", "bias-lora_only", "trainable-tokens"],
)
def test_declared_trainable_parameters_are_not_a_leak(build) -> None:
    assert not check(quietly(build)).findings


def test_a_kbit_base_prepared_before_wrapping_is_quiet() -> None:
    from peft import prepare_model_for_kbit_training

    assert not check(lora(prepare_model_for_kbit_training(llama_kbit(8)))).findings


# -- LORA202 adapter-frozen ------------------------------------------------------------------------


def test_an_adapter_loaded_without_is_trainable_is_frozen_with_that_cause(tmp_path) -> None:
    from peft import PeftModel

    model = PeftModel.from_pretrained(llama(), _saved_adapter(tmp_path))
    (finding,) = only(check(model), "LORA202")
    assert "without is_trainable=True" in finding.message
    assert "4 of 4 LoRA layers" in finding.message
    assert "is_trainable=True" in finding.hint


def test_an_adapter_loaded_for_inference_is_quiet_with_intent_inference(tmp_path) -> None:
    from peft import PeftModel

    model = PeftModel.from_pretrained(llama(), _saved_adapter(tmp_path))
    report = check(model, intent="inference")
    assert not report.findings
    assert any("LORA202" in str(n) for n in report.notes)


def test_a_reused_config_with_inference_mode_names_the_config(tmp_path) -> None:
    from peft import LoraConfig, get_peft_model

    config = LoraConfig.from_pretrained(_saved_adapter(tmp_path))
    (finding,) = only(check(get_peft_model(llama(), config)), "LORA202")
    assert "LoraConfig has inference_mode=True" in finding.message


@pytest.mark.parametrize("bits", [4, 8])
def test_kbit_preparation_after_wrapping_is_named_as_the_cause(bits) -> None:
    from peft import prepare_model_for_kbit_training

    model = prepare_model_for_kbit_training(lora(llama_kbit(bits)))
    (finding,) = only(check(model), "LORA202")
    assert "prepare_model_for_kbit_training was called after get_peft_model" in finding.message
    assert "before get_peft_model" in finding.hint


def test_a_frozen_lora_b_over_zero_init_makes_lora_a_useless() -> None:
    model = lora(llama())
    for name, p in model.named_parameters():
        if "lora_B" in name:
            p.requires_grad = False
    (finding,) = only(check(model), "LORA202")
    assert "lora_A gets zero gradient" in finding.message


def test_frozen_lora_a_with_trainable_lora_b_is_lora_fa_and_quiet() -> None:
    model = lora(llama())
    for name, p in model.named_parameters():
        if "lora_A" in name:
            p.requires_grad = False
    assert not check(model).findings


# -- LORA203 head-frozen ---------------------------------------------------------------------------


def test_a_bert_classifier_wrapped_without_task_type_has_a_frozen_head() -> None:
    model = lora(bert_classifier(), target_modules=["query", "value"], task_type=None)
    (finding,) = only(check(model), "LORA203")
    assert finding.location.module == "classifier"
    assert 'task_type="SEQ_CLS"' in finding.hint


def test_a_vit_classifier_needs_its_head_in_modules_to_save() -> None:
    bad = lora(vit_classifier(), target_modules=VIT_QV, task_type=None)
    assert "ViTForImageClassification initialises 'classifier'" in only(check(bad), "LORA203")[0].message
    good = lora(vit_classifier(), target_modules=VIT_QV, modules_to_save=["classifier"], task_type=None)
    assert not check(good).findings


def test_lora_on_a_fresh_head_does_not_save_its_random_weights() -> None:
    model = lora(bert_classifier(), target_modules=["query", "value", "classifier"], task_type=None)
    (finding,) = only(check(model), "LORA203")
    assert "only gets a LoRA update" in finding.message


def test_every_fresh_head_of_distilbert_is_named() -> None:
    model = lora(distilbert_classifier(), target_modules=["q_lin", "v_lin"], task_type=None)
    assert sorted(f.location.module for f in only(check(model), "LORA203")) == ["classifier", "pre_classifier"]
    seq_cls = lora(distilbert_classifier(), target_modules=["q_lin", "v_lin"], task_type="SEQ_CLS")
    assert not check(seq_cls).findings


def test_a_head_loaded_from_a_masked_lm_checkpoint_names_that_checkpoint(tmp_path) -> None:
    from transformers import BertForMaskedLM, BertForSequenceClassification

    BertForMaskedLM(bert_classifier().config).save_pretrained(tmp_path)
    base = quietly(lambda: BertForSequenceClassification.from_pretrained(tmp_path, num_labels=3))
    (finding,) = only(check(lora(base, target_modules=["query", "value"], task_type=None)), "LORA203")
    assert "the checkpoint is BertForMaskedLM" in finding.message


def test_a_head_already_trained_in_the_checkpoint_is_quiet(tmp_path) -> None:
    from transformers import BertForSequenceClassification

    bert_classifier().save_pretrained(tmp_path)
    base = BertForSequenceClassification.from_pretrained(tmp_path)
    assert not check(lora(base, target_modules=["query", "value"], task_type=None)).findings


@pytest.mark.parametrize(
    "build",
    [
        lambda: lora(bert_classifier(), target_modules=["query", "value"], task_type="SEQ_CLS"),
        lambda: lora(bert_classifier(), target_modules=["query", "value"], modules_to_save=["classifier"], task_type=None),
        lambda: lora(llama()),
    ],
    ids=["seq-cls", "modules_to_save", "causal-lm"],
)
def test_saved_heads_and_causal_lms_are_quiet(build) -> None:
    assert not check(build()).findings


# -- LORA204 adapter-inactive ----------------------------------------------------------------------


def test_training_inside_disable_adapter_is_reported_once() -> None:
    model = lora(llama())
    with model.disable_adapter():
        report = check(model)
    (finding,) = only(report, "LORA204")
    assert "disabled on 4 of 4 LoRA layers" in finding.message


def test_disable_adapter_layers_is_reported() -> None:
    model = lora(gpt2(), target_modules=["c_attn"])
    model.base_model.disable_adapter_layers()
    assert "disable_adapter" in only(check(model), "LORA204")[0].message


def test_a_merged_adapter_is_inactive_for_training_but_fine_for_inference() -> None:
    model = lora(llama())
    model.merge_adapter()
    (finding,) = only(check(model), "LORA204")
    assert "merged into the base weights on 4 of 4" in finding.message
    assert "unmerge_adapter" in finding.hint
    assert not check(model, intent="inference").findings


@pytest.mark.skipif(PEFT.release < (0, 18), reason="peft < 0.18 keeps an adapter loaded with is_trainable=True "
                    "frozen until set_adapter: no inactive adapter trains, so LORA204 has nothing to report")
def test_an_adapter_loaded_trainable_but_never_set_active_is_reported(tmp_path) -> None:
    model = lora(llama())
    model.load_adapter(_saved_adapter(tmp_path), adapter_name="sft", is_trainable=True)
    (finding,) = only(check(model), "LORA204")
    assert finding.location.adapter == "sft"
    assert "set_adapter('sft')" in finding.hint


def test_a_second_adapter_unfrozen_by_a_lora_loop_but_not_active_is_reported() -> None:
    from peft import LoraConfig

    model = lora(llama())
    model.add_adapter("second", LoraConfig(r=8, lora_alpha=16, target_modules=["q_proj", "v_proj"]))
    for name, p in model.named_parameters():
        if "lora_" in name:
            p.requires_grad = True
    assert only(check(model), "LORA204")[0].location.adapter == "second"


def test_a_second_adapter_set_active_is_quiet() -> None:
    from peft import LoraConfig

    model = lora(llama())
    model.add_adapter("second", LoraConfig(r=8, lora_alpha=16, target_modules=["q_proj", "v_proj"]))
    model.set_adapter("second")
    assert not check(model).findings


# -- LORA205 no-adapter ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "build",
    [lambda: lora(llama()).merge_and_unload(), lambda: quietly(lambda: lora(gpt2(), target_modules=["c_attn"])).unload()],
    ids=["llama-merge_and_unload", "gpt2-unload"],
)
def test_merged_or_unloaded_output_has_no_adapter(build) -> None:
    (finding,) = only(check(build()), "LORA205")
    assert "no parameter requires grad" in finding.message


def test_a_plain_trainable_model_is_full_fine_tuning_not_lora() -> None:
    (finding,) = only(check(_unfreeze_all(t5())), "LORA205")
    assert "full fine-tuning" in finding.message


def test_another_peft_method_is_a_note_not_a_finding() -> None:
    from peft import IA3Config, get_peft_model

    model = get_peft_model(llama(), IA3Config(target_modules=["k_proj", "down_proj"], feedforward_modules=["down_proj"]))
    report = check(model)
    assert not report.findings
    assert any("the model uses IA3, not LoRA" in str(n) for n in report.notes)


def test_prompt_tuning_is_a_note_not_a_finding() -> None:
    from peft import PromptTuningConfig, get_peft_model

    report = check(get_peft_model(llama(), PromptTuningConfig(task_type="CAUSAL_LM", num_virtual_tokens=4)))
    assert not report.findings
    assert any("PROMPT_TUNING, not LoRA" in str(n) for n in report.notes)


# -- LORA206 nested-peft ---------------------------------------------------------------------------


def test_get_peft_model_on_a_peft_model_is_nested() -> None:
    from peft import LoraConfig, get_peft_model

    model = quietly(lambda: get_peft_model(lora(llama()), LoraConfig(target_modules=["k_proj"])))
    (finding,) = only(check(model), "LORA206")
    assert finding.location.module == "base_model.model"


def test_rewrapping_the_inner_model_leaves_layers_no_config_describes() -> None:
    from peft import LoraConfig, get_peft_model

    inner = lora(llama()).base_model.model
    model = quietly(lambda: get_peft_model(inner, LoraConfig(r=8, lora_alpha=16, target_modules=["k_proj"])))
    (finding,) = only(check(model), "LORA206")
    assert finding.message.startswith("4 LoRA layers (e.g. model.layers.0.self_attn.q_proj)")


def test_a_lora_layer_wrapping_a_lora_layer_is_nested() -> None:
    from peft import LoraConfig
    from peft.tuners.lora import Linear

    model = lora(llama())
    attn = model.base_model.model.model.layers[0].self_attn
    attn.q_proj = Linear(attn.q_proj, "outer", config=LoraConfig(r=4), r=4, lora_alpha=8)
    report = lint(model, select=["LORA206"], probe=False)
    assert [f.location.module for f in report.findings] == ["base_model.model.model.layers.0.self_attn.q_proj.base_layer"]


def test_stacked_target_parameters_wrappers_are_not_nested() -> None:
    model = lora(
        moe(), target_modules=["q_proj"], target_parameters=["experts.gate_up_proj", "experts.down_proj"], lora_dropout=0.0
    )
    assert not check(model).findings


def test_several_adapters_on_one_model_are_not_nested(tmp_path) -> None:
    from peft import LoraConfig, PeftModel

    model = PeftModel.from_pretrained(llama(), _saved_adapter(tmp_path), is_trainable=True)
    model.add_adapter("other", LoraConfig(r=8, lora_alpha=16, target_modules=["k_proj"]))
    model.load_adapter(_saved_adapter(tmp_path, "b"), adapter_name="loaded")
    assert not check(model).findings


# -- LORA207 new-tokens-frozen ---------------------------------------------------------------------


def test_added_tokens_that_cannot_train_are_named_by_id() -> None:
    (finding,) = only(check(lora(_resized())), "LORA207")
    assert "has 136 rows but the checkpoint's vocabulary has 128" in finding.message
    assert "ids 128-135" in finding.message
    assert "list(range(128, 136))" in finding.hint


def test_trainable_tokens_covering_only_some_new_ids_are_reported() -> None:
    model = lora(_resized(), trainable_token_indices={"embed_tokens": [128, 129]})
    (finding,) = only(check(model), "LORA207")
    assert "covers only 2 of them: ids 130-135" in finding.message


@pytest.mark.parametrize(
    "kwargs",
    [
        {"trainable_token_indices": {"embed_tokens": list(range(128, 136))}},
        {"modules_to_save": ["embed_tokens", "lm_head"]},
        {"target_modules": ["q_proj", "v_proj", "embed_tokens"]},
    ],
    ids=["trainable-tokens", "modules_to_save", "lora-on-embeddings"],
)
def test_new_tokens_that_can_train_are_quiet(kwargs) -> None:
    assert "LORA207" not in check(quietly(lambda: lora(_resized(), **kwargs))).codes


def test_a_resize_without_a_known_checkpoint_is_quiet() -> None:
    base = llama()
    base.resize_token_embeddings(136, mean_resizing=False)
    assert not check(lora(base)).findings


# -- LORA405 optimizer-mismatch --------------------------------------------------------------------


@pytest.mark.parametrize(
    "make_base, kwargs",
    [(llama, {}), (gpt2, {"target_modules": ["c_attn"]})],
    ids=["llama", "gpt2"],
)
def test_an_optimizer_built_from_the_base_before_wrapping_misses_every_lora_weight(make_base, kwargs) -> None:
    base = make_base()
    optimizer = torch.optim.AdamW(base.parameters(), lr=1e-4)
    model = quietly(lambda: lora(base, **kwargs))
    (finding,) = only(check(model, optimizer=optimizer), "LORA405")
    assert finding.severity is Severity.ERROR
    assert "misses" in finding.message and "before get_peft_model" in finding.message
    assert len(finding.evidence["missing"]) == sum(1 for n, p in model.named_parameters() if p.requires_grad)


def test_a_modules_to_save_copy_missing_from_the_optimizer_is_reported() -> None:
    model = lora(llama(), modules_to_save=["lm_head"])
    optimizer = torch.optim.AdamW([p for n, p in model.named_parameters() if "lora_" in n], lr=1e-4)
    (finding,) = only(check(model, optimizer=optimizer), "LORA405")
    assert finding.evidence["missing"] == ["base_model.model.lm_head.modules_to_save.default.weight"]


def test_frozen_parameters_in_an_optimizer_are_a_warning() -> None:
    model = lora(llama())
    (finding,) = only(check(model, optimizer=torch.optim.AdamW(model.parameters(), lr=1e-4)), "LORA405")
    assert finding.severity is Severity.WARNING
    assert "holds 21 frozen tensors" in finding.message


def test_an_optimizer_over_the_trainable_parameters_is_quiet_and_inference_skips_the_check() -> None:
    base = llama()
    stale = torch.optim.AdamW(base.parameters(), lr=1e-4)
    model = lora(base)
    good = torch.optim.AdamW([p for p in model.parameters() if p.requires_grad], lr=1e-4)
    assert not check(model, optimizer=good).findings
    assert not check(model, optimizer=stale, intent="inference").findings
