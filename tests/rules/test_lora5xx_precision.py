"""Precision and device rules (LORA501-504) over tiny real models and real bitsandbytes bases on CPU."""

from __future__ import annotations

import warnings
from typing import Any

import pytest
import torch

from lora_lint import Severity, lint
from lora_lint.context import Setup
from tests.rules.runner import run
from tests.versions import CHECKPOINTING_HOOKS_INPUTS, checkpointing_on, remove_input_grad_hook
from tests.tiny_models import bert_classifier, gpt2, llama, llama_kbit, lora, t5, vit_classifier

warnings.filterwarnings("ignore", category=FutureWarning)


ARCHS = {
    "llama": (llama, {}),
    "gpt2": (gpt2, dict(target_modules=["c_attn"], fan_in_fan_out=True, task_type=None)),
    "bert": (bert_classifier, dict(target_modules=["query", "value"], task_type="SEQ_CLS")),
    "vit": (vit_classifier, dict(modules_to_save=["classifier"], task_type=None)),
    "t5": (t5, dict(target_modules=["q", "v"], task_type="SEQ_2_SEQ_LM")),
}


def wrapped(arch: str) -> Any:
    build, overrides = ARCHS[arch]
    return lora(build(), **overrides)


def lora_grads(model: Any, **inputs: Any) -> dict[str, torch.Tensor | None]:
    """A real training step's adapter gradients, to show what a finding predicts."""
    model.train()
    model(**inputs).loss.backward()
    return {n: p.grad for n, p in model.named_parameters() if "lora_" in n and p.requires_grad}


def llama_step(model: Any) -> dict[str, torch.Tensor | None]:
    ids = torch.randint(0, 128, (2, 8), generator=torch.Generator().manual_seed(0))
    return lora_grads(model, input_ids=ids, labels=ids)


def vit_step(model: Any) -> dict[str, torch.Tensor | None]:
    pixels = torch.randn(2, 3, 32, 32, generator=torch.Generator().manual_seed(0))
    return lora_grads(model, pixel_values=pixels, labels=torch.tensor([0, 1]))


# -- LORA501 adapter-low-precision ----------------------------------------------------------------


@pytest.mark.parametrize("arch", sorted(ARCHS))
@pytest.mark.parametrize("dtype", [torch.float16, torch.bfloat16])
def test_casting_the_wrapped_model_to_half_precision_is_reported(arch, dtype) -> None:
    (finding,) = run(wrapped(arch).to(dtype), "LORA501").findings
    name = str(dtype).replace("torch.", "")
    assert f"are {name}" in finding.message and finding.evidence["dtype"] == name


@pytest.mark.parametrize("arch", sorted(ARCHS))
def test_a_half_precision_base_wrapped_afterwards_keeps_float32_adapters(arch) -> None:
    build, overrides = ARCHS[arch]
    assert not run(lora(build().to(torch.bfloat16), **overrides), "LORA501").findings


def test_frozen_half_precision_adapters_and_inference_are_not_reported(tmp_path) -> None:
    from peft import PeftModel

    lora(llama()).save_pretrained(tmp_path / "a")
    loaded = PeftModel.from_pretrained(llama(), tmp_path / "a").half()  # frozen for inference
    assert not run(loaded, "LORA501").findings
    assert not run(wrapped("llama").half(), "LORA501", intent="inference").findings


def test_fp16_adapters_really_break_fp16_mixed_precision() -> None:
    model = wrapped("llama").half()
    scaler = torch.amp.GradScaler("cpu")
    opt = torch.optim.SGD([p for p in model.parameters() if p.requires_grad], lr=0.1)
    ids = torch.randint(0, 128, (2, 8))
    scaler.scale(model(input_ids=ids, labels=ids).loss.float()).backward()
    with pytest.raises(ValueError, match="Attempting to unscale FP16 gradients"):
        scaler.unscale_(opt)


# -- LORA502 kbit-not-prepared --------------------------------------------------------------------


@pytest.mark.parametrize("bits", [4, 8])
def test_a_half_precision_kbit_base_wrapped_without_preparation_is_reported(bits) -> None:
    (finding,) = run(lora(llama_kbit(bits, dtype=torch.bfloat16)), "LORA502").findings
    assert finding.message.startswith(f"{bits}-bit bitsandbytes base is not prepared for training: 5 norm weights")
    assert finding.location.parameter == "base_model.model.model.layers.0.input_layernorm.weight"
    assert "prepare_model_for_kbit_training" in finding.hint


@pytest.mark.parametrize("bits", [4, 8])
def test_a_prepared_kbit_base_is_quiet(bits) -> None:
    from peft import prepare_model_for_kbit_training

    base = prepare_model_for_kbit_training(llama_kbit(bits, dtype=torch.bfloat16))
    report = lint(lora(base), probe=False, select=["LORA5"])
    assert not report.findings, report.format_findings()


def test_a_float32_kbit_base_and_a_half_precision_plain_base_are_quiet() -> None:
    assert not run(lora(llama_kbit(4)), "LORA502").findings
    assert not run(lora(llama().to(torch.bfloat16)), "LORA502").findings


def test_norms_upcast_by_hand_count_as_prepared() -> None:
    base = llama_kbit(8, dtype=torch.float16)
    for module in base.modules():
        if "norm" in type(module).__name__.lower():
            module.to(torch.float32)
    assert not run(lora(base), "LORA502").findings


# -- LORA503 device-split -------------------------------------------------------------------------


def test_new_adapters_created_with_low_cpu_mem_usage_stay_on_meta() -> None:
    from peft import LoraConfig, get_peft_model

    config = LoraConfig(r=8, lora_alpha=16, target_modules=["q_proj", "v_proj"])
    (finding,) = run(get_peft_model(llama(), config, low_cpu_mem_usage=True), "LORA503").findings
    assert finding.severity is Severity.ERROR
    assert "on the meta device while their base layers are on cpu" in finding.message
    assert len(finding.evidence["parameters"]) == 4


@pytest.mark.parametrize("arch", sorted(ARCHS))
def test_one_adapter_moved_off_its_layer_is_named(arch) -> None:
    model = wrapped(arch)
    from peft.tuners.lora import LoraLayer

    path, layer = next((n, m) for n, m in model.named_modules() if isinstance(m, LoraLayer))
    layer.lora_A["default"].to("meta")
    (finding,) = run(model, "LORA503").findings
    assert finding.location.parameter == f"{path}.lora_A.default.weight"
    assert finding.evidence["parameters"] == [f"{path}.lora_A.default.weight"]


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device")
def test_an_adapter_on_cpu_wrapping_a_cuda_layer_is_reported() -> None:
    model = wrapped("llama").to("cuda")
    model.base_model.model.model.layers[0].self_attn.q_proj.lora_B["default"].to("cpu")
    model.base_model.model.model.layers[0].self_attn.q_proj.lora_A["default"].to("cpu")
    (finding,) = run(model, "LORA503").findings
    assert "are on cpu while their base layers are on cuda:0" in finding.message


def test_offloaded_base_layers_and_meta_builds_are_quiet() -> None:
    model = wrapped("llama")
    model.base_model.model.model.layers[0].self_attn.q_proj.base_layer.to("meta")  # as offloading leaves it
    assert not run(model, "LORA503").findings
    from tests.rules.test_lora3xx_scaling import meta_llama

    meta = lora(meta_llama())
    assert not run(Setup(target="meta", model=meta, weights=False), "LORA503").findings


# -- LORA504 checkpointing-no-input-grad ----------------------------------------------------------


def _ckpt(model: Any, **kwargs: Any) -> Any:
    model.gradient_checkpointing_enable(**kwargs)
    return model


REENTRANT = {"gradient_checkpointing_kwargs": {"use_reentrant": True}}


def test_a_vit_with_reentrant_checkpointing_enabled_after_wrapping_is_reported_and_really_gets_no_grad() -> None:
    model = _ckpt(wrapped("vit"), **REENTRANT)
    (finding,) = run(model, "LORA504").findings
    assert "use_reentrant=True" in finding.message
    assert "base_model.model.vit.embeddings.patch_embeddings are frozen" in finding.message
    assert all(g is None for g in vit_step(model).values())


@pytest.mark.parametrize(
    "fix",
    [
        pytest.param(lambda m: _ckpt(m, gradient_checkpointing_kwargs={"use_reentrant": False}), id="non-reentrant"),
        pytest.param(lambda m: _ckpt(m, **REENTRANT).enable_input_require_grads() or m, id="enable_input_require_grads"),
        pytest.param(lambda m: _ckpt(m), id="transformers-default", marks=pytest.mark.skipif(
            not CHECKPOINTING_HOOKS_INPUTS, reason="transformers 4.x's default checkpointing is reentrant and adds "
            "no input-grad hook: not a fix there (see the 4.x test below)")),
    ],
)
def test_a_vit_with_the_fix_is_quiet_and_really_trains(fix) -> None:
    model = fix(wrapped("vit"))
    assert not run(model, "LORA504").findings
    grads = vit_step(model)
    assert grads and all(g is not None for g in grads.values())


def test_checkpointing_enabled_before_wrapping_gets_peft_hook() -> None:
    build, overrides = ARCHS["vit"]
    base = _ckpt(build(), **REENTRANT)
    assert not run(lora(base, **overrides), "LORA504").findings


@pytest.mark.parametrize("arch", ["llama", "gpt2", "bert", "t5"])
def test_text_models_get_the_hook_from_transformers_and_lose_it_when_removed_by_hand(arch) -> None:
    model = _ckpt(wrapped(arch), **REENTRANT)
    if not CHECKPOINTING_HOOKS_INPUTS:  # transformers 4.x registers no hook for a get_peft_model model
        assert run(model, "LORA504").codes == {"LORA504"}
        return
    assert not run(model, "LORA504").findings
    model.base_model.model._require_grads_hook.remove()
    assert run(model, "LORA504").codes == {"LORA504"}


def test_llama_with_its_hook_removed_really_gets_no_adapter_grad() -> None:
    model = _ckpt(wrapped("llama"), **REENTRANT)
    remove_input_grad_hook(model)
    assert run(model, "LORA504").codes == {"LORA504"}
    model.train()
    ids = torch.randint(0, 128, (2, 8))
    loss = model(input_ids=ids, labels=ids).loss
    assert not loss.requires_grad  # nothing trainable outside the checkpointed blocks


@pytest.mark.skipif(not CHECKPOINTING_HOOKS_INPUTS, reason="transformers 4.x registers no input-grad hook of its "
                    "own when checkpointing is enabled: peft's is the only one")
def test_removing_one_of_two_hooks_leaves_the_other_working() -> None:
    # Checkpointing before wrapping: transformers and peft each register a hook; the stored handle is peft's.
    base = _ckpt(llama(), **REENTRANT)
    model = lora(base)
    model.base_model.model._require_grads_hook.remove()
    assert not run(model, "LORA504").findings
    grads = llama_step(model)
    assert all(g is not None for g in grads.values())


def test_unset_use_reentrant_counts_as_reentrant() -> None:
    model = _ckpt(wrapped("llama"), gradient_checkpointing_kwargs={})
    remove_input_grad_hook(model)
    (finding,) = run(model, "LORA504").findings
    assert "use_reentrant not passed" in finding.message


def test_trainable_embeddings_or_adapters_outside_checkpointed_blocks_are_quiet() -> None:
    model = _ckpt(lora(llama(), modules_to_save=["embed_tokens"]), **REENTRANT)
    remove_input_grad_hook(model)
    assert not run(model, "LORA504").findings
    model = _ckpt(lora(llama(), target_modules=["lm_head"]), **REENTRANT)
    remove_input_grad_hook(model)
    assert not run(model, "LORA504").findings


def test_an_unknown_hook_on_the_embeddings_is_given_the_benefit_of_the_doubt() -> None:
    model = _ckpt(wrapped("llama"), **REENTRANT)
    remove_input_grad_hook(model)
    model.get_input_embeddings().register_forward_hook(lambda mod, inp, out: out.requires_grad_(True))
    report = run(model, "LORA504")
    assert not report.findings
    assert any("unrecognised forward hook" in n.message for n in report.notes)


@pytest.mark.skipif(CHECKPOINTING_HOOKS_INPUTS, reason="transformers 5's default checkpointing is non-reentrant")
def test_transformers_4_default_checkpointing_on_a_vit_is_reported_and_really_gets_no_grad() -> None:
    model = _ckpt(wrapped("vit"))
    assert run(model, "LORA504").codes == {"LORA504"}
    assert not any(g is not None for g in vit_step(model).values())


@pytest.mark.parametrize("bits", [4, 8])
def test_a_prepared_kbit_base_keeps_a_working_hook_after_disable_input_require_grads(bits) -> None:
    # prepare_model_for_kbit_training registers the hook, then enabling checkpointing registers a second
    # one; disable_input_require_grads removes only the stored (second) one.
    from peft import prepare_model_for_kbit_training

    model = lora(prepare_model_for_kbit_training(llama_kbit(bits)))
    assert checkpointing_on(model.base_model.model)
    assert not run(model, "LORA504").findings
    remove_input_grad_hook(model)
    if not CHECKPOINTING_HOOKS_INPUTS:  # 4.x: prepare_model_for_kbit_training's hook was the only one
        assert run(model, "LORA504").codes == {"LORA504"}
        return
    assert not run(model, "LORA504").findings
    grads = llama_step(model)
    assert grads and all(g is not None for g in grads.values())


def test_checkpointing_off_and_inference_are_quiet() -> None:
    model = wrapped("vit")
    assert not run(model, "LORA504").findings
    _ckpt(model, **REENTRANT)
    assert not run(model, "LORA504", intent="inference").findings
