"""Training facts: checkpointing and its reentrant form, input-embedding gradients, k-bit bases; read-only."""

from __future__ import annotations

import functools
import warnings

import pytest
import torch
import torch.utils.checkpoint as ckpt
import transformers

from lora_lint.context import RuleContext, Setup
from lora_lint.facts.training import _reentrant_of, transformers_default_reentrant
from lora_lint.settings import Settings
from tests.state import assert_unchanged, snapshot
from tests.versions import CHECKPOINTING_HOOKS_INPUTS, TRANSFORMERS_5
from tests.tiny_models import llama, llama_kbit, lora, t5, vit_classifier

warnings.filterwarnings("ignore", category=FutureWarning)


def facts(model):
    return RuleContext(Setup(target="m", model=model), Settings()).training


def test_the_installed_transformers_default_is_read_from_its_major_version() -> None:
    major = int(transformers.__version__.split(".")[0])
    assert transformers_default_reentrant() is (major < 5)
    model = lora(llama())
    model.gradient_checkpointing_enable()
    assert facts(model).checkpointing.reentrant is transformers_default_reentrant()


@pytest.mark.parametrize(
    "func, reentrant",
    [
        (functools.partial(ckpt.checkpoint, use_reentrant=True), True),  # transformers 4.35-4.5x default
        (functools.partial(ckpt.checkpoint, use_reentrant=False), False),  # transformers 5.x default
        (functools.partial(ckpt.checkpoint), True),  # kwargs given without use_reentrant: torch's default
        (None, True),  # transformers < 4.35 called checkpoint() without use_reentrant
        (ckpt.checkpoint, True),
        (lambda f, *a: f(*a), None),  # a custom function hides it
    ],
)
def test_the_reentrant_variant_is_read_from_the_checkpoint_function(func, reentrant) -> None:
    assert _reentrant_of(func)[0] is reentrant


def test_checkpointed_modules_and_input_embeddings_are_named() -> None:
    model = lora(llama())
    assert not facts(model).checkpointing.enabled
    model.gradient_checkpointing_enable(gradient_checkpointing_kwargs={"use_reentrant": True})
    training = facts(model)
    assert training.checkpointing.reentrant is True
    assert "base_model.model.model.layers.0" in training.checkpointing.modules
    assert training.checkpointing.covers("base_model.model.model.layers.0.self_attn.q_proj")
    assert not training.checkpointing.covers("base_model.model.lm_head")
    assert training.input_grads.embeddings == ("base_model.model.model.embed_tokens",)
    # transformers 5 registers the input-grad hook when checkpointing is enabled; 4.x does not
    assert training.input_grads.hooked is CHECKPOINTING_HOOKS_INPUTS and not training.input_grads.trainable


def test_every_sub_model_input_embedding_is_seen_as_transformers_hooks_them() -> None:
    # transformers 5.x T5: encoder and decoder hold their own embedding modules tied to `shared`.
    model = lora(t5(), target_modules=["q", "v"], task_type="SEQ_2_SEQ_LM")
    embeddings = facts(model).input_grads.embeddings
    # transformers 5 returns `shared` from get_input_embeddings of every T5 part; 4.x the decoder's embed_tokens
    assert ("base_model.model.shared" if TRANSFORMERS_5 else "base_model.model.decoder.embed_tokens") in embeddings
    model.gradient_checkpointing_enable(gradient_checkpointing_kwargs={"use_reentrant": True})
    if not CHECKPOINTING_HOOKS_INPUTS:
        model.enable_input_require_grads()  # transformers 4.x leaves it to the training script
    assert facts(model).input_grads.hooked


def test_kbit_facts_name_the_half_precision_norms() -> None:
    kbit = facts(lora(llama_kbit(4, dtype=torch.bfloat16))).kbit
    assert kbit is not None and kbit.bits == 4 and kbit.quantized_layers == 14
    assert len(kbit.half_norms) == 5 and {d for _, d in kbit.half_norms} == {"bfloat16"}
    assert {n for n, _ in kbit.half_other} == {"base_model.model.model.embed_tokens.weight", "base_model.model.lm_head.weight"}
    assert facts(lora(llama())).kbit is None


def test_reading_training_facts_changes_nothing() -> None:
    model = lora(vit_classifier(), modules_to_save=["classifier"], task_type=None)
    model.gradient_checkpointing_enable(gradient_checkpointing_kwargs={"use_reentrant": True})
    before = snapshot(model)
    facts(model)
    assert_unchanged(before, snapshot(model))
