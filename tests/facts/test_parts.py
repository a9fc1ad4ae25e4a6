"""Towers, MoE routers and fused experts read from real module trees; peft's MoE rewrite of written targets."""

from __future__ import annotations

import copy

import pytest

from lora_lint.context import RuleContext, Setup
from lora_lint.settings import Settings
from tests.versions import TRANSFORMERS_5, fused_experts_only
from tests.tiny_models import bert_classifier, gpt2, llama, llava, lora, moe, on_meta, t5, vit_classifier


def _ctx(model=None, **setup) -> RuleContext:
    return RuleContext(Setup("m", model=model, **setup), Settings())


TOWERS = [
    ("llama", llama, ()),
    ("gpt2", gpt2, ()),
    ("bert", bert_classifier, ()),
    ("vit", vit_classifier, ()),
    ("t5", t5, ("encoder (T5Stack)", "decoder (T5Stack)")),
    ("llava", llava, ("model.vision_tower (CLIPVisionModel)", "model.language_model (LlamaModel)")),
]


@pytest.mark.parametrize(("build", "towers"), [t[1:] for t in TOWERS], ids=[t[0] for t in TOWERS])
def test_towers_are_the_first_level_with_several_sub_models(build, towers) -> None:
    parts = _ctx(on_meta(build)).parts
    assert tuple(str(t) for t in parts.towers) == towers
    assert not parts.routers and not parts.fused_experts


MOE = [
    # (model type, router leaf names, fused expert parameter names); transformers 4.x keeps each expert of
    # Mixtral, Qwen-MoE and PhiMoE an nn.Linear (PhiMoE's router is `gate` there); GPT-OSS is fused in both
    ("mixtral", {"gate"}, {"gate_up_proj", "down_proj"} if TRANSFORMERS_5 else set()),
    ("qwen2_moe", {"gate", "shared_expert_gate"}, {"gate_up_proj", "down_proj"} if TRANSFORMERS_5 else set()),
    ("gpt_oss", {"router"}, {"gate_up_proj", "down_proj"}),
    ("phimoe", {"router"} if TRANSFORMERS_5 else {"gate"}, {"gate_up_proj", "down_proj"} if TRANSFORMERS_5 else set()),
]


@pytest.mark.parametrize(("kind", "routers", "fused"), MOE, ids=[m[0] for m in MOE])
def test_moe_routers_and_fused_experts_are_found_by_structure(kind, routers, fused) -> None:
    parts = _ctx(on_meta(moe, kind)).parts
    assert {r.rsplit(".", 1)[-1] for r in parts.routers} == routers
    assert {p.name for p in parts.fused_experts} == fused
    assert all(len(p.shape) == 3 and p.shape[0] == 4 for p in parts.fused_experts)  # 4 experts each
    assert (0 < parts.fused_numel < parts.total_numel) if fused else parts.fused_numel == 0


@fused_experts_only
def test_a_live_model_with_target_parameters_is_seen_through_its_wrappers() -> None:
    model = lora(moe(), lora_dropout=0.0, target_parameters=["experts.gate_up_proj", "experts.down_proj"])
    ctx = _ctx(model)
    assert len(ctx.parts.fused_experts) == 4
    assert set(ctx.targeting["default"].targeted_parameters) == {p.key for p in ctx.parts.fused_experts}


@fused_experts_only
def test_peft_rewrites_written_mixtral_expert_names_without_touching_the_written_config() -> None:
    written = {"r": 8, "lora_alpha": 16, "lora_dropout": 0.0, "target_modules": ["q_proj", "v_proj", "w1", "w2", "w3"]}
    kept = copy.deepcopy(written)
    facts = _ctx(base_model=on_meta(moe), lora_configs={"default": written}, weights=False).targeting["default"]
    converted = {e.entry: e.converted_to for e in facts.field_entries("target_modules") if e.converted_to}
    assert converted == {"w1": "gate_up_proj", "w2": "down_proj", "w3": "gate_up_proj"}
    assert len(facts.targeted_parameters) == 4 and len(facts.targeted) == 4
    assert facts.conversion_error is None
    assert written == kept


@fused_experts_only
def test_a_half_fused_pair_records_peft_s_refusal() -> None:
    written = {"target_modules": ["q_proj", "w1", "w2"], "lora_dropout": 0.0}
    facts = _ctx(base_model=on_meta(moe), lora_configs={"default": written}, weights=False).targeting["default"]
    assert "w3" in (facts.conversion_error or "")
