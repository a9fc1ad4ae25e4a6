"""LORA801-804 beyond their cases: each wrap policy simulated on real peft models, ZeRO stages, world sizes."""

from __future__ import annotations

import pytest

from lora_lint.facts.fsdp_units import collect_fsdp_units
from lora_lint.facts.launch import WrapPolicy, read_launch
from tests.launch_configs import accelerate_fsdp, accelerate_multi_gpu, deepspeed_json, launched
from tests.rules.runner import run_case
from tests.tiny_models import dispatched_llama, llama, lora, on_meta


def _codes(setup, code):
    return [f for f in run_case(setup, probe=False, select=[code]).findings]


@pytest.mark.parametrize(
    ("policy", "mixed"),
    [
        (WrapPolicy("none"), [""]),
        (WrapPolicy("transformer"), ["base_model.model.model.layers.0", "base_model.model.model.layers.1"]),
        (WrapPolicy("transformer", ("LlamaAttention",)), ["base_model.model.model.layers.0.self_attn", "base_model.model.model.layers.1.self_attn"]),
        (WrapPolicy("size", (), 0), [""]),
        (WrapPolicy("peft"), []),
    ],
)
def test_wrap_units_of_a_meta_peft_llama_under_each_policy(policy, mixed) -> None:
    model = lora(on_meta(llama))
    units = collect_fsdp_units(model, policy)
    assert [u.module for u in units.mixed] == mixed
    assert units.units[-1].module == ""  # the root unit comes last
    assert all(p.is_meta for p in model.parameters())  # simulated on the meta device, nothing materialised


def test_peft_policy_puts_every_lora_factor_in_its_own_unit() -> None:
    units = collect_fsdp_units(lora(llama()), WrapPolicy("peft"))
    lora_units = [u for u in units.units if u.trainable]
    assert len(lora_units) == 8  # 2 layers x (q, v) x (A, B)
    assert all(not u.frozen and len(u.trainable) == 1 for u in lora_units)


def test_wrapping_leaves_the_model_unchanged() -> None:
    model = lora(llama())
    before = [(n, type(m)) for n, m in model.named_modules()]
    collect_fsdp_units(model, WrapPolicy("transformer"))
    assert [(n, type(m)) for n, m in model.named_modules()] == before


def test_a_layer_class_the_model_lacks_is_a_note(tmp_path) -> None:
    setup = launched("t", lora(llama()), accelerate_config=accelerate_fsdp(tmp_path, layer_cls="GPT2Block"))
    report = run_case(setup, probe=False, select=["LORA802"])
    assert any("'GPT2Block', a class the model does not have" in n.message for n in report.notes)
    # no class matched: only the root unit, which mixes frozen and trainable parameters
    assert [f.evidence["units"] for f in report.findings] == [[""]]


@pytest.mark.parametrize("config", [{"orig_params": True}, {"version": 2}])
def test_use_orig_params_or_fsdp2_is_quiet(tmp_path, config) -> None:
    setup = launched("t", lora(llama()), accelerate_config=accelerate_fsdp(tmp_path, **config))
    assert _codes(setup, "LORA802") == []


def test_no_wrap_names_the_root_unit(tmp_path) -> None:
    path = accelerate_fsdp(tmp_path, policy="NO_WRAP", layer_cls=None)
    (finding,) = _codes(launched("t", lora(llama()), accelerate_config=path), "LORA802")
    assert "the root unit" in finding.message and finding.location.line == 8


@pytest.mark.parametrize("stage", [1, 2])
def test_zero_stages_below_3_do_not_need_gathering(tmp_path, stage) -> None:
    setup = launched("t", deepspeed=deepspeed_json(tmp_path, stage=stage))
    assert _codes(setup, "LORA801") == []


def test_explicit_false_gather_points_at_its_line(tmp_path) -> None:
    path = deepspeed_json(tmp_path, stage3_gather_16bit_weights_on_model_save=False)
    (finding,) = _codes(launched("t", deepspeed=path), "LORA801")
    assert finding.location.line == 9 and "is false" in finding.message


def test_device_map_under_torchrun_world_size(tmp_path) -> None:
    model = lora(dispatched_llama(tmp_path, split=True))
    facts = read_launch(environ={"WORLD_SIZE": "2"})
    (finding,) = _codes(launched("t", model, launch=facts), "LORA804")
    assert "WORLD_SIZE in the environment" in finding.message
    assert finding.evidence == {"devices": ["cpu", "disk"], "world_size": 2}


def test_device_map_in_a_single_process_is_quiet(tmp_path) -> None:
    model = lora(dispatched_llama(tmp_path, split=True))
    assert _codes(launched("t", model, accelerate_config=accelerate_multi_gpu(tmp_path, processes=1)), "LORA804") == []


def test_qlora_storage_without_fsdp_is_quiet(tmp_path) -> None:
    from tests.tiny_models import llama_4bit_stored

    model = lora(llama_4bit_stored(None))
    assert _codes(launched("t", model, accelerate_config=accelerate_multi_gpu(tmp_path)), "LORA803") == []
