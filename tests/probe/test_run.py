"""The probe on real tiny models: what it records, that it is reproducible, and that it leaves no trace."""

from __future__ import annotations

import re

import pytest
import torch
from torch import nn

from lora_lint.context import RuleContext, Setup
from lora_lint.probe.result import DeadCause, GradKind
from lora_lint.settings import Settings
from tests.probe.models import DetachedStem, NoGradStem, SkipsLayer, build, mlp_batch
from tests.state import assert_unchanged, snapshot
from tests.versions import CHECKPOINTING_HOOKS_INPUTS, remove_input_grad_hook
from tests.tiny_models import MLP, bert_classifier, llama, llama_kbit, lora, t5, vit_classifier


def probe(model, batch=None, **settings):
    return RuleContext(Setup("model", model=model, batch=batch), Settings(**settings)).probe


def reentrant_checkpointing(peft_model, input_grads: bool = False):
    base = peft_model.base_model.model
    enable = getattr(base, "activation_checkpointing_enable", None)
    if enable is not None:
        enable(activation_checkpointing_kwargs={"use_reentrant": True})
    else:  # transformers 4.x
        base.gradient_checkpointing_enable(gradient_checkpointing_kwargs={"use_reentrant": True})
    if not input_grads:
        remove_input_grad_hook(base)
    elif not CHECKPOINTING_HOOKS_INPUTS:  # transformers 4.x registers no hook for a get_peft_model model
        base.enable_input_require_grads()
    return peft_model


def test_with_fresh_adapters_only_lora_b_gets_gradient_and_a_zero_lora_a_gradient_is_expected() -> None:
    result = probe(lora(llama()))
    assert result.loss_source == "model" and result.loss_requires_grad
    assert len(result.slots) == 4
    for slot in result.slots:
        assert slot.b_is_zero
        assert slot.b.kind is GradKind.FINITE and slot.b.norm > 0
        assert slot.a.kind is GradKind.ZERO and slot.a_expected_zero
        assert not slot.dead


def test_once_lora_b_is_nonzero_both_matrices_get_gradient() -> None:
    result = probe(lora(llama(), init_lora_weights=False))
    for slot in result.slots:
        assert slot.b_is_zero is False
        assert slot.a.kind is GradKind.FINITE and slot.b.kind is GradKind.FINITE
        assert not slot.dead


def _zero(model, part: str, layer: str):
    with torch.no_grad():
        for name, p in model.named_parameters():
            if part in name and layer in name:
                p.zero_()
    return model


def test_with_lora_a_zero_and_lora_b_not_the_roles_swap_and_nothing_is_dead() -> None:
    # dL/dB = s * grad_out^T (A x) is exactly zero while A is zero; A's gradient is not
    model = _zero(lora(llama(), init_lora_weights=False), "lora_A", "layers.1.self_attn.q_proj")
    slot = probe(model).slot("model.layers.1.self_attn.q_proj", "default")
    assert slot.a_is_zero and slot.b_is_zero is False
    assert slot.b.kind is GradKind.ZERO and slot.b_expected_zero
    assert slot.a.kind is GradKind.FINITE and not slot.dead


def test_embedding_adapters_start_with_lora_a_at_zero_and_are_healthy() -> None:
    result = probe(lora(llama(), target_modules=["embed_tokens", "q_proj"]))
    embed = result.slot("model.embed_tokens", "default")
    assert embed.a_is_zero and embed.b_expected_zero and not embed.dead
    assert not result.dead_slots


def test_both_matrices_at_zero_is_a_saddle_the_adapter_never_leaves() -> None:
    model = _zero(lora(llama()), "lora_A", "layers.0.self_attn.v_proj")
    slot = probe(model).slot("model.layers.0.self_attn.v_proj", "default")
    assert slot.a.kind is GradKind.ZERO and slot.b.kind is GradKind.ZERO
    assert slot.dead and slot.cause is DeadCause.ZERO


@pytest.mark.parametrize(
    ("build_model", "batch_keys"),
    [
        pytest.param(lambda: lora(llama()), {"input_ids", "attention_mask", "labels"}, id="llama-causal-lm"),
        pytest.param(
            lambda: lora(t5(), target_modules=["q", "v"], task_type="SEQ_2_SEQ_LM"),
            {"input_ids", "attention_mask", "decoder_input_ids", "labels"},
            id="t5-seq2seq",
        ),
        pytest.param(
            lambda: lora(bert_classifier(), target_modules=["query", "value"], task_type="SEQ_CLS"),
            {"input_ids", "attention_mask", "labels"},
            id="bert-sequence-classification",
        ),
        pytest.param(
            lambda: lora(
                vit_classifier(), modules_to_save=["classifier"], task_type=None
            ),
            {"pixel_values", "labels"},
            id="vit-image-classification",
        ),
    ],
)
def test_synthetic_batches_give_the_models_own_loss_and_gradient_to_every_adapter(build_model, batch_keys) -> None:
    result = probe(build_model())
    assert result.batch_source == "synthetic"
    assert set(re.findall(r"(\w+)\[", result.batch)) == batch_keys
    assert result.loss_source == "model" and result.loss_requires_grad
    assert result.slots and not result.dead_slots


@pytest.mark.parametrize("bits", [8, 4])
def test_bitsandbytes_bases_on_cpu_probe_like_full_precision_ones(bits: int) -> None:
    model = lora(llama_kbit(bits))
    before = snapshot(model)
    result = probe(model)
    assert_unchanged(before, snapshot(model))
    assert result.loss_requires_grad and len(result.slots) == 4
    assert not result.dead_slots
    assert not result.nonfinite_grads


def test_a_custom_module_without_a_batch_gets_an_input_guessed_from_its_first_layer() -> None:
    result = probe(build(MLP))
    assert result.batch_source == "synthetic"
    assert result.batch.startswith("x[2, 16] float32")
    assert result.loss_source == "surrogate" and not result.dead_slots


@pytest.mark.parametrize(
    ("cls", "targets", "dead", "cause"),
    [
        (SkipsLayer, ["lin0", "lin1", "proj"], "proj", DeadCause.NOT_CALLED),
        (NoGradStem, ["lin0", "lin1"], "lin0", DeadCause.NO_GRAD),
        (DetachedStem, ["lin0", "lin1"], "lin0", DeadCause.DETACHED),
    ],
)
def test_forward_hooks_tell_why_a_layer_got_no_gradient(cls, targets, dead, cause) -> None:
    result = probe(build(cls, targets), mlp_batch())
    assert [s.layer for s in result.dead_slots] == [dead]
    assert result.dead_slots[0].cause is cause


def test_reentrant_checkpointing_without_input_grads_is_seen_even_on_a_model_left_in_eval_mode() -> None:
    model = reentrant_checkpointing(lora(llama()))
    model.eval()  # the probe trains: transformers checkpoints only in training mode
    result = probe(model)
    assert not result.loss_requires_grad
    assert {s.cause for s in result.slots} == {DeadCause.CHECKPOINT}
    assert all(s.checkpointing == "reentrant" for s in result.slots)


def test_reentrant_checkpointing_with_the_input_grad_hook_is_healthy() -> None:
    result = probe(reentrant_checkpointing(lora(llama()), input_grads=True))
    assert result.loss_requires_grad and not result.dead_slots


def test_a_user_batch_may_be_a_dict_a_tensor_or_a_tuple_with_targets() -> None:
    ids = torch.randint(0, 128, (2, 6))
    as_dict = probe(lora(llama()), {"input_ids": ids, "labels": ids})
    assert as_dict.batch == "input_ids[2, 6] int64, labels[2, 6] int64" and as_dict.loss_source == "model"
    as_tensor = probe(build(MLP), mlp_batch())
    assert as_tensor.batch == "input[4, 16] float32" and as_tensor.loss_source == "surrogate"
    with_targets = probe(build(MLP), (mlp_batch(), torch.zeros(4, dtype=torch.long)))
    assert with_targets.loss_source == "surrogate" and not with_targets.dead_slots
    assert "first 1 passed" in with_targets.batch


@pytest.mark.parametrize(
    ("model", "batch", "stage", "text"),
    [
        pytest.param(lambda: build(MLP), "text", "inputs", "a batch must be a dict", id="unsupported-batch-type"),
        pytest.param(lambda: build(MLP), {"y": torch.zeros(2, 16)}, "forward", "TypeError", id="forward-raises"),
        pytest.param(
            lambda: lora(llama(), task_type=None).base_model.model.model,
            None,
            None,
            None,
            id="headless-model-uses-the-surrogate",
        ),
    ],
)
def test_failures_become_reasons_not_crashes(model, batch, stage, text) -> None:
    result = probe(model(), batch)
    assert result.failure_stage == stage
    if text is None:
        assert result.loss_source == "surrogate"
    else:
        assert text in result.failure and result.loss is None


def test_a_module_without_config_or_linear_first_layer_asks_for_a_batch() -> None:
    class Odd(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.scale = nn.Parameter(torch.ones(3))
            self.lin = nn.Linear(3, 3)

        def forward(self, x):
            return self.lin(x * self.scale)

    from peft import LoraConfig, get_peft_model

    result = probe(get_peft_model(Odd(), LoraConfig(target_modules=["lin"])))
    assert result.failure_stage == "inputs"
    assert "pass a batch" in result.failure


def test_results_are_reproducible_even_with_dropout_in_the_model() -> None:
    model = lora(bert_classifier(), target_modules=["query", "value"], task_type="SEQ_CLS", lora_dropout=0.5)
    first, second = probe(model), probe(model)
    assert first.loss == second.loss
    assert [(s.a, s.b) for s in first.slots] == [(s.a, s.b) for s in second.slots]


class _WithNorm(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.lin0 = nn.Linear(16, 8)
        self.norm = nn.BatchNorm1d(8)
        self.drop = nn.Dropout(0.3)
        self.lin1 = nn.Linear(8, 4)

    def forward(self, x):
        return self.lin1(self.drop(self.norm(self.lin0(x))))


@pytest.mark.parametrize(
    "prepare",
    [
        pytest.param(lambda m: m, id="fresh-eval"),
        pytest.param(lambda m: m.train(), id="train-mode"),
        pytest.param(lambda m: (m.train(), m.base_model.model.norm.eval())[0], id="mixed-modes"),
        pytest.param(lambda m: (m.train(), m(mlp_batch()).sum().backward())[0], id="existing-grads"),
    ],
)
def test_the_probe_leaves_grads_modes_dropout_batchnorm_rng_and_hooks_as_it_found_them(prepare) -> None:
    model = prepare(build(_WithNorm, ["lin0", "lin1"], lora_dropout=0.2))
    torch.manual_seed(11)
    rates = [m.p for m in model.modules() if isinstance(m, nn.Dropout)]
    grad_mode = torch.is_grad_enabled()
    before = snapshot(model)
    with torch.no_grad():
        result = probe(model, mlp_batch())
        assert not torch.is_grad_enabled()
    assert result.loss_requires_grad and not result.dead_slots
    assert_unchanged(before, snapshot(model))
    assert [m.p for m in model.modules() if isinstance(m, nn.Dropout)] == rates
    assert torch.is_grad_enabled() == grad_mode


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs CUDA")
def test_on_cuda_the_probe_runs_there_restores_the_cuda_rng_and_frees_what_it_allocated() -> None:
    model = lora(llama()).cuda()
    before = snapshot(model)
    torch.cuda.synchronize()
    allocated, rng = torch.cuda.memory_allocated(), torch.cuda.get_rng_state()
    result = probe(model)
    assert result.device.startswith("cuda") and result.loss_requires_grad and not result.dead_slots
    assert torch.equal(torch.cuda.get_rng_state(), rng)
    assert torch.cuda.memory_allocated() == allocated
    assert_unchanged(before, snapshot(model))
