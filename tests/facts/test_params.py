"""Parameter facts over tiny real models: classification, heads, vocabulary, optimizer membership, nesting."""

from __future__ import annotations

import warnings
from collections import Counter

import pytest
import torch

from lora_lint.context import RuleContext, Setup
from lora_lint.facts.params import Kind, ParamFacts, base_key, group_key
from lora_lint.settings import Settings
from tests.state import assert_unchanged, snapshot
from tests.tiny_models import (
    bert_classifier,
    gpt2,
    llama,
    llama_kbit,
    lora,
    saved_llama_dir,
    t5,
    vit_classifier,
)


def facts_of(model, optimizer=None) -> ParamFacts:
    return RuleContext(Setup("<model>", model=model, optimizer=optimizer), Settings()).params


def roles(facts: ParamFacts) -> Counter:
    return Counter((p.kind, p.role) for p in facts if p.requires_grad)


CLASSIFICATION = [
    # (builder, trainable (kind, role) -> tensor count)
    ("llama seed", lambda: lora(llama()), {(Kind.ADAPTER, "lora_A"): 4, (Kind.ADAPTER, "lora_B"): 4}),
    (
        "llama DoRA",
        lambda: lora(llama(), use_dora=True),
        {(Kind.ADAPTER, "lora_A"): 4, (Kind.ADAPTER, "lora_B"): 4, (Kind.ADAPTER, "lora_magnitude_vector"): 4},
    ),
    (
        "llama LoRA on the embedding",
        lambda: lora(llama(), target_modules=["embed_tokens"]),
        {(Kind.ADAPTER, "lora_embedding_A"): 1, (Kind.ADAPTER, "lora_embedding_B"): 1},
    ),
    (
        "llama modules_to_save",
        lambda: lora(llama(), modules_to_save=["lm_head"]),
        {(Kind.ADAPTER, "lora_A"): 4, (Kind.ADAPTER, "lora_B"): 4, (Kind.DECLARED, "modules_to_save"): 1},
    ),
    (
        "llama trainable tokens",
        lambda: lora(llama(), trainable_token_indices=[1, 2]),
        {(Kind.ADAPTER, "lora_A"): 4, (Kind.ADAPTER, "lora_B"): 4, (Kind.DECLARED, "trainable_tokens"): 1},
    ),
    (
        "gpt2 bias lora_only",
        lambda: lora(gpt2(), target_modules=["c_attn"], bias="lora_only"),
        {(Kind.ADAPTER, "lora_A"): 2, (Kind.ADAPTER, "lora_B"): 2, (Kind.DECLARED, "bias"): 2},
    ),
    (
        "bert bias all with SEQ_CLS",
        lambda: lora(bert_classifier(), target_modules=["query", "value"], bias="all", task_type="SEQ_CLS"),
        {(Kind.ADAPTER, "lora_A"): 4, (Kind.ADAPTER, "lora_B"): 4, (Kind.DECLARED, "modules_to_save"): 2,
         (Kind.DECLARED, "bias"): 18},
    ),
    (
        "t5 encoder-decoder",
        lambda: lora(t5(), target_modules=["q", "v"], task_type="SEQ_2_SEQ_LM"),
        {(Kind.ADAPTER, "lora_A"): 12, (Kind.ADAPTER, "lora_B"): 12},
    ),
    ("llama 8-bit", lambda: lora(llama_kbit(8)), {(Kind.ADAPTER, "lora_A"): 4, (Kind.ADAPTER, "lora_B"): 4}),
]


@pytest.mark.parametrize("label, build, expected", CLASSIFICATION, ids=[c[0] for c in CLASSIFICATION])
def test_it_classifies_every_trainable_parameter_by_peft_markers(label, build, expected) -> None:
    facts = facts_of(build())
    assert dict(roles(facts)) == expected
    assert not facts.leaked


def test_every_parameter_is_classified_once_under_its_real_name() -> None:
    model = lora(llama(), modules_to_save=["lm_head"], trainable_token_indices=[3])
    facts = facts_of(model)
    names = [p.name for p in facts]
    assert len(names) == len(set(names))
    assert set(names) == {n for n, _ in model.named_parameters()}
    a = next(p for p in facts if p.role == "lora_A")
    assert a.module == "model.layers.0.self_attn.q_proj" and a.adapter == "default"
    copy = next(p for p in facts if p.role == "modules_to_save")
    assert copy.module == "lm_head" and copy.name == "base_model.model.lm_head.modules_to_save.default.weight"
    original = next(p for p in facts if p.name.endswith("lm_head.original_module.weight"))
    assert original.kind is Kind.BASE and not original.requires_grad


def test_it_reports_base_parameters_unfrozen_after_wrapping_as_leaked() -> None:
    model = lora(gpt2(), target_modules=["c_attn"])
    model.base_model.model.transformer.ln_f.weight.requires_grad = True
    leaked = facts_of(model).leaked
    assert [(p.name, p.module) for p in leaked] == [
        ("base_model.model.transformer.ln_f.weight", "transformer.ln_f")
    ]


def test_base_key_sees_through_peft_wrappers() -> None:
    prefix = "base_model.model."
    assert base_key("base_model.model.model.layers.0.self_attn.q_proj.base_layer", prefix) == (
        "model.layers.0.self_attn.q_proj"
    )
    assert base_key("base_model.model.classifier.modules_to_save.default", prefix) == "classifier"
    assert base_key("base_model.model.model.embed_tokens.token_adapter.base_layer", prefix) == "model.embed_tokens"
    assert group_key("model.layers.11.mlp.up_proj") == "model.layers.*.mlp.up_proj"


def test_it_marks_a_classifier_head_fresh_unless_the_checkpoint_is_a_classifier(tmp_path) -> None:
    from transformers import BertForSequenceClassification

    head = facts_of(lora(bert_classifier(), target_modules=["query", "value"], task_type=None)).heads
    assert [(h.key, h.fresh, h.trainable, h.saved) for h in head] == [("classifier", True, False, False)]
    bert_classifier().save_pretrained(tmp_path)
    reloaded = BertForSequenceClassification.from_pretrained(tmp_path)
    (head,) = facts_of(lora(reloaded, target_modules=["query", "value"], task_type=None)).heads
    assert not head.fresh and head.checkpoint_architecture == "BertForSequenceClassification"
    (head,) = facts_of(lora(vit_classifier(), modules_to_save=["classifier"], task_type=None)).heads
    assert head.saved and head.trainable
    assert facts_of(lora(llama())).heads == ()


def test_it_reads_the_checkpoint_vocabulary_and_what_trains_the_new_rows() -> None:
    from transformers import AutoModelForCausalLM

    base = AutoModelForCausalLM.from_pretrained(saved_llama_dir())
    base.resize_token_embeddings(132, mean_resizing=False)
    vocab = facts_of(lora(base, trainable_token_indices={"embed_tokens": [128, 129]})).vocab
    assert vocab is not None
    assert (vocab.checkpoint_vocab, vocab.embedding_rows, vocab.embedding, vocab.head) == (
        128, 132, "model.embed_tokens", "lm_head"
    )
    assert list(vocab.new_rows) == [128, 129, 130, 131]
    assert (vocab.embedding_trains, vocab.head_trains, vocab.token_indices) == ("trainable_tokens", None, (128, 129))


def test_a_model_built_from_a_config_has_no_known_checkpoint_vocabulary() -> None:
    base = llama()
    base.resize_token_embeddings(136, mean_resizing=False)
    vocab = facts_of(lora(base)).vocab
    assert vocab is not None and vocab.checkpoint_vocab is None and not vocab.new_rows


def test_optimizer_membership_is_by_identity() -> None:
    base = llama()
    before = torch.optim.SGD(base.parameters(), lr=0.1)
    model = lora(base)
    facts = facts_of(model, before)
    assert facts.optimizer is not None and facts.optimizer.tensors == 21 and facts.optimizer.foreign == 0
    assert not any(p.in_optimizer for p in facts.adapter_params())
    assert all(p.in_optimizer for p in facts.of(Kind.BASE))
    other = torch.optim.SGD(llama().parameters(), lr=0.1)
    assert facts_of(model, other).optimizer.foreign == 21
    assert facts_of(model).optimizer is None and all(p.in_optimizer is None for p in facts_of(model))


def test_a_single_peft_model_is_not_nested_but_a_wrapped_one_is() -> None:
    from peft import LoraConfig, get_peft_model

    assert facts_of(lora(llama())).nested == ()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        twice = get_peft_model(lora(llama()), LoraConfig(target_modules=["k_proj"]))
        rewrapped = get_peft_model(lora(llama()).base_model.model, LoraConfig(target_modules=["k_proj"]))
    assert facts_of(twice).nested == ("base_model.model",)
    facts = facts_of(rewrapped)
    assert facts.nested == ()
    assert sorted(facts.unowned_layers) == [
        f"model.layers.{i}.self_attn.{p}" for i in (0, 1) for p in ("q_proj", "v_proj")
    ]


def test_adapters_added_or_loaded_later_are_owned_by_the_tuner(tmp_path) -> None:
    from peft import LoraConfig

    lora(llama()).save_pretrained(tmp_path)
    model = lora(llama())
    model.add_adapter("other", LoraConfig(target_modules=["k_proj"]))
    model.load_adapter(tmp_path, adapter_name="loaded")
    assert facts_of(model).unowned_layers == ()


def test_it_knows_a_quantized_base_and_the_input_grad_hook() -> None:
    from peft import prepare_model_for_kbit_training

    model = lora(prepare_model_for_kbit_training(llama_kbit(4)))
    assert facts_of(model).quantized == "4-bit"
    # the hook is the training fact's to read (one reading, shared with LORA202 and LORA504)
    assert RuleContext(Setup("m", model=model), Settings()).training.input_grads.hooked
    assert facts_of(lora(llama())).quantized is None


def test_collecting_parameter_facts_leaves_the_model_unchanged() -> None:
    base = llama()
    optimizer = torch.optim.AdamW(base.parameters())
    model = lora(base, modules_to_save=["lm_head"], trainable_token_indices=[1])
    before = snapshot(model)
    facts_of(model, optimizer)
    assert_unchanged(before, snapshot(model))


def test_a_leaked_group_carries_the_modules_to_save_entry_that_declares_it() -> None:
    model = lora(llama())
    base = model.get_base_model()
    base.model.norm.weight.requires_grad_(True)
    for layer in base.model.layers:
        layer.input_layernorm.weight.requires_grad_(True)
    facts = facts_of(model)
    # "norm" would also wrap every input_layernorm: only the whole path declares the final norm alone
    assert facts.saved_entry("model.norm") == "model.norm"
    assert facts.saved_entry("model.layers.*.input_layernorm") == "input_layernorm"
    assert facts.saved_entry("model.layers.*.self_attn.q_proj") is None  # not leaked
    assert facts_of(lora(llama())).saved_entries == ()
