"""Gradient-flow rules (LORA401-404) on real tiny models: the mistakes they catch, the setups they leave alone."""

from __future__ import annotations

import pytest
import torch

from lora_lint import Severity, lint
from lora_lint.wording import plural
from tests.probe.models import DetachedStem, NoGradStem, SkipsLayer, TrainsWithoutAdapter, build, mlp_batch
from tests.probe.test_run import reentrant_checkpointing
from tests.versions import CHECKPOINTING_HOOKS_INPUTS
from tests.tiny_models import MLP, bert_classifier, llama, lora, t5, vit_classifier

PROBE_RULES = ["LORA4"]


def lora_paths(model) -> set[str]:
    from peft.tuners.lora import LoraLayer

    return {n for n, m in model.named_modules() if isinstance(m, LoraLayer)}


def dead_paths(report) -> set[str]:
    paths: set[str] = set()
    for f in report.by_code("LORA401"):
        paths.update(f.evidence.get("layers", [f.location.module]))
    return paths


def vit_with_head(**kwargs):
    return lora(vit_classifier(), modules_to_save=["classifier"], task_type=None)


# -- LORA401 ---------------------------------------------------------------------------------------


def test_llama_with_reentrant_checkpointing_and_no_input_grad_hook_has_every_adapter_dead() -> None:
    model = reentrant_checkpointing(lora(llama()))
    report = lint(model, select=PROBE_RULES)
    assert report.codes == {"LORA401"}
    assert dead_paths(report) == lora_paths(model)
    (finding,) = report.by_code("LORA401")
    assert finding.evidence["cause"] == "reentrant-checkpointing"
    assert "enable_input_require_grads" in finding.hint


def test_vit_with_checkpointing_switched_on_after_wrapping_trains_its_head_but_no_adapter() -> None:
    # transformers 5 hooks ViT's inputs for no one; the 4.x helper would register the hook by hand, so it is left out
    model = reentrant_checkpointing(vit_with_head(), input_grads=CHECKPOINTING_HOOKS_INPUTS)
    report = lint(model, select=PROBE_RULES)
    from lora_lint.context import RuleContext, Setup
    from lora_lint.settings import Settings

    probe = RuleContext(Setup("vit", model=model), Settings()).probe
    assert probe.loss_requires_grad
    head = [p for p in probe.params if "classifier.modules_to_save" in p.name]
    assert head and all(p.grad.kind.value == "finite" for p in head)
    assert report.codes == {"LORA401"}
    assert dead_paths(report) == lora_paths(model)


def test_a_targeted_layer_the_forward_never_calls_is_the_only_dead_one() -> None:
    report = lint(build(SkipsLayer, ["lin0", "lin1", "proj"]), batch=mlp_batch(), select=PROBE_RULES)
    (finding,) = report.findings
    assert finding.code == "LORA401"
    assert finding.location.module == "base_model.model.proj"
    assert finding.location.parameter == "base_model.model.proj.lora_B.default.weight"
    assert "never calls this layer" in finding.message


@pytest.mark.parametrize(
    ("model", "cause", "words"),
    [
        (lambda: build(NoGradStem), "no-grad", "torch.no_grad()"),
        (lambda: build(DetachedStem), "detached", ".detach()"),
        (lambda: TrainsWithoutAdapter(build(MLP)), "bypassed", "disabled or merged while the forward runs"),
    ],
)
def test_dead_adapters_name_the_cause_the_forward_hooks_saw(model, cause, words) -> None:
    report = lint(model(), batch=mlp_batch(), select=PROBE_RULES)
    assert report.codes == {"LORA401"}
    assert {f.evidence["cause"] for f in report.findings} == {cause}
    assert all(words in f.message for f in report.findings)


@pytest.mark.parametrize(
    "model",
    [
        pytest.param(lambda: reentrant_checkpointing(lora(llama()), input_grads=True), id="llama-reentrant-with-hook"),
        pytest.param(lambda: lora(llama()), id="llama"),
        pytest.param(lambda: lora(llama(), init_lora_weights=False), id="llama-nonzero-B"),
        pytest.param(lambda: vit_with_head(), id="vit-head-saved"),
        pytest.param(lambda: lora(t5(), target_modules=["q", "v"], task_type="SEQ_2_SEQ_LM"), id="t5"),
        pytest.param(
            lambda: lora(bert_classifier(), target_modules=["query", "value"], task_type="SEQ_CLS"), id="bert"
        ),
        pytest.param(lambda: build(MLP), id="custom-module-guessed-input"),
        pytest.param(
            lambda: lora(llama(), target_modules=["embed_tokens", "v_proj"]), id="embedding-lora-A-starts-at-zero"
        ),
    ],
)
def test_correct_setups_with_synthetic_batches_stay_quiet(model) -> None:
    report = lint(model(), select=PROBE_RULES)
    assert not report.findings, report.format_findings()


def test_an_adapter_with_both_matrices_at_zero_is_dead_for_good() -> None:
    model = lora(llama())
    with torch.no_grad():
        model.base_model.model.model.layers[0].self_attn.v_proj.lora_A["default"].weight.zero_()
    (finding,) = lint(model, select=PROBE_RULES).findings
    assert finding.code == "LORA401" and finding.location.module.endswith("layers.0.self_attn.v_proj")
    assert "both exactly zero" in finding.message and "init_lora_weights=True" in finding.hint


def _magnitude(model, layer: int, proj: str = "v_proj"):
    attn = model.base_model.model.model.layers[layer].self_attn
    return getattr(attn, proj).lora_magnitude_vector["default"].weight


def test_a_dora_magnitude_frozen_by_hand_is_named_while_its_layer_trains() -> None:
    model = lora(llama(), use_dora=True)
    _magnitude(model, 1).requires_grad_(False)
    name = "base_model.model.model.layers.1.self_attn.v_proj.lora_magnitude_vector.default.weight"
    assert dict(model.named_parameters())[name] is _magnitude(model, 1)
    report = lint(model, select=PROBE_RULES)
    (finding,) = report.findings
    assert finding.code == "LORA401", report.format_findings()
    assert finding.location.parameter == name and name in finding.message
    assert finding.evidence["cause"] == "frozen" and finding.evidence["magnitudes"] == [name]
    assert "requires_grad=False" in finding.message and "lora_magnitude_vector" in finding.hint


def test_dora_magnitudes_frozen_on_several_layers_are_one_finding_naming_them() -> None:
    model = lora(llama(), use_dora=True)
    for layer in (0, 1):
        _magnitude(model, layer, "q_proj").requires_grad_(False)
    (finding,) = lint(model, select=PROBE_RULES).findings
    assert finding.evidence["count"] == 2 and "DoRA magnitudes of 2 layers" in finding.message
    assert all(".q_proj.lora_magnitude_vector.default.weight" in m for m in finding.evidence["magnitudes"])


def test_a_dora_layer_the_forward_never_calls_names_its_magnitude_too() -> None:
    report = lint(build(SkipsLayer, ["lin0", "lin1", "proj"], use_dora=True), batch=mlp_batch(), select=PROBE_RULES)
    (finding,) = report.findings
    assert finding.location.module == "base_model.model.proj"
    assert finding.evidence["magnitude"] == "base_model.model.proj.lora_magnitude_vector.default.weight"
    assert "DoRA magnitude base_model.model.proj.lora_magnitude_vector.default.weight none" in finding.message


@pytest.mark.parametrize(
    "model",
    [
        pytest.param(lambda: lora(llama(), use_dora=True), id="llama-dora"),
        pytest.param(lambda: lora(llama(), use_dora=True, init_lora_weights=False), id="llama-dora-nonzero-B"),
        pytest.param(lambda: build(MLP, ["lin0", "lin1"], use_dora=True), id="custom-module-dora"),
    ],
)
def test_healthy_dora_adapters_get_gradient_on_every_magnitude(model) -> None:
    from lora_lint.context import RuleContext, Setup
    from lora_lint.settings import Settings

    model = model()
    report = lint(model, select=PROBE_RULES)
    assert not report.findings, report.format_findings()
    probe = RuleContext(Setup("dora", model=model), Settings()).probe
    assert probe.slots and all(s.m is not None and s.m.kind.value == "finite" for s in probe.slots)


def _frozen(model):
    for name, p in model.named_parameters():
        if "lora_" in name:
            p.requires_grad_(False)
    return model


def _meta_adapters():
    from peft import LoraConfig, get_peft_model

    return get_peft_model(llama(), LoraConfig(target_modules=["q_proj"]), low_cpu_mem_usage=True)


def _merged(model):
    model.merge_adapter()
    return model


@pytest.mark.parametrize(
    "model",
    [
        pytest.param(lambda: _frozen(lora(llama())), id="frozen-adapter-is-LORA202s"),
        pytest.param(lambda: _merged(lora(llama())), id="merged-adapter-is-LORA204s"),
        pytest.param(lambda: lora(llama(), lora_alpha=0), id="zero-alpha-is-LORA306s"),
        pytest.param(lambda: lora(llama(), lora_dropout=1.0), id="dropout-one-is-LORA307s"),
        pytest.param(lambda: lora(llama()).merge_and_unload(), id="no-lora-layers-is-LORA205s"),
        pytest.param(lambda: _meta_adapters(), id="adapters-on-meta-are-LORA503s"),
    ],
)
def test_consequences_of_root_causes_other_rules_report_are_not_repeated(model) -> None:
    assert not lint(model(), select=PROBE_RULES).findings


def test_a_disabled_adapter_is_left_to_LORA204() -> None:
    model = lora(llama())
    with model.disable_adapter():
        assert not lint(model, select=PROBE_RULES).findings


def test_intent_inference_skips_the_probe_rules() -> None:
    report = lint(reentrant_checkpointing(lora(llama())), intent="inference", select=PROBE_RULES)
    assert not report.findings
    assert any("LORA401" in n.message for n in report.notes)


# -- LORA402 ---------------------------------------------------------------------------------------


def test_a_forward_run_wholly_under_no_grad_detaches_the_loss() -> None:
    class AllNoGrad(MLP):
        def forward(self, x):
            with torch.no_grad():
                return super().forward(x)

    (finding,) = lint(build(AllNoGrad), batch=mlp_batch(), select=PROBE_RULES).findings
    assert finding.code == "LORA402" and finding.severity is Severity.ERROR
    assert "ran with gradients disabled" in finding.message


def test_when_inputs_cannot_be_built_it_asks_for_a_batch_in_a_note() -> None:
    from peft import LoraConfig, get_peft_model

    class Odd(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.scale = torch.nn.Parameter(torch.ones(3))
            self.lin = torch.nn.Linear(3, 3)

        def forward(self, x):
            return self.lin(x * self.scale)

    model = get_peft_model(Odd(), LoraConfig(target_modules=["lin"]))
    report = lint(model, select=PROBE_RULES)
    assert not report.findings, report.format_findings()
    (note,) = [n for n in report.notes if n.code == "LORA402"]
    assert "gradient flow is unchecked" in note.message and "batch=" in note.message
    assert report.exit_code(fail_on="warning") == 0
    (finding,) = lint(model, batch={"y": torch.ones(1, 3)}, select=PROBE_RULES).findings
    assert (finding.code, finding.severity) == ("LORA402", Severity.ERROR)


def test_a_user_batch_the_forward_rejects_is_an_error() -> None:
    (finding,) = lint(build(MLP), batch={"y": mlp_batch()}, select=PROBE_RULES).findings
    assert (finding.code, finding.severity) == ("LORA402", Severity.ERROR)
    assert "TypeError" in finding.message


# -- LORA403 ---------------------------------------------------------------------------------------


def test_a_nan_in_a_weight_is_reported_once_naming_the_weight() -> None:
    model = lora(llama())
    with torch.no_grad():
        model.base_model.model.model.layers[1].mlp.down_proj.weight[0, 0] = float("nan")
    (finding,) = lint(model, select=PROBE_RULES).findings
    assert finding.code == "LORA403"
    assert finding.location.parameter == "base_model.model.model.layers.1.mlp.down_proj.weight"
    assert "the loss is nan" in finding.message and "logits" in finding.message


def test_an_inf_in_the_batch_is_nonfinite_without_blaming_a_weight() -> None:
    batch = mlp_batch()
    batch[0, 0] = float("inf")
    (finding,) = lint(build(MLP), batch=batch, select=PROBE_RULES).findings
    assert finding.code == "LORA403"
    assert finding.evidence["weights"] == [] and finding.evidence["outputs"] == ["output"]


# -- LORA404 ---------------------------------------------------------------------------------------


def test_a_base_parameter_unfrozen_by_hand_is_reported() -> None:
    model = lora(llama())
    model.base_model.model.model.layers[0].mlp.gate_proj.weight.requires_grad_(True)
    (finding,) = lint(model, select=PROBE_RULES).findings
    assert finding.code == "LORA404"
    assert finding.location.parameter == "base_model.model.model.layers.0.mlp.gate_proj.weight"
    assert finding.evidence["numel"] == 128 * 64


@pytest.mark.parametrize(
    "model",
    [
        pytest.param(lambda: lora(llama(), modules_to_save=["lm_head"]), id="modules-to-save"),
        pytest.param(
            lambda: lora(bert_classifier(), target_modules=["query", "value"], bias="all", task_type="SEQ_CLS"),
            id="bias-all",
        ),
        pytest.param(lambda: lora(llama(), trainable_token_indices=[1, 2]), id="trainable-tokens"),
    ],
)
def test_declared_trainable_base_parameters_are_not_reported(model) -> None:
    assert not lint(model(), select=["LORA404"]).findings


def test_a_leaked_parameter_off_the_forward_path_gets_no_gradient_so_only_LORA201_applies() -> None:
    model = build(SkipsLayer, ["lin0", "lin1"])
    model.base_model.model.proj.weight.requires_grad_(True)
    assert not lint(model, batch=mlp_batch(), select=["LORA404"]).findings


# -- multimodal models with a text-only synthetic batch --------------------------------------------


def tiny_llava():
    from transformers import (
        CLIPVisionConfig,
        LlavaConfig,
        LlavaForConditionalGeneration,
    )

    from tests.tiny_models import llama_config

    vision = CLIPVisionConfig(
        hidden_size=32, intermediate_size=64, num_hidden_layers=1, num_attention_heads=2, image_size=16, patch_size=8
    )
    torch.manual_seed(0)
    return LlavaForConditionalGeneration(LlavaConfig(vision_config=vision, text_config=llama_config())).eval()


@pytest.mark.parametrize(
    ("targets", "unchecked"),
    [
        pytest.param(["q_proj", "v_proj"], 2, id="both-towers"),
        pytest.param(r".*vision_tower.*\.(q_proj|v_proj)", 2, id="vision-tower-only"),
    ],
)
def test_vision_tower_layers_a_text_only_batch_cannot_reach_are_noted_not_reported(targets, unchecked) -> None:
    report = lint(lora(tiny_llava(), target_modules=targets), select=PROBE_RULES)
    assert not report.findings, report.format_findings()
    (note,) = [n for n in report.notes if n.code == "LORA401"]
    assert note.message.startswith(f"{plural(unchecked, 'adapter layer')} outside the synthetic batch's reach")
    assert "text only: no inputs for its vision tower" in note.message
    assert not report.attachments
