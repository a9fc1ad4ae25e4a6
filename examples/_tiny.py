"""Tiny models built from configs, offline, so every example runs in seconds on a CPU."""

from __future__ import annotations

import os

os.environ.setdefault("HF_HUB_OFFLINE", "1")

import torch  # noqa: E402


def tiny_llama(**overrides):
    """A 2-layer Llama (hidden size 64): the same module names as Llama-2-7B, a thousandth of the size."""
    from transformers import LlamaConfig, LlamaForCausalLM

    torch.manual_seed(0)
    config = LlamaConfig(
        hidden_size=64,
        intermediate_size=128,
        num_hidden_layers=2,
        num_attention_heads=4,
        num_key_value_heads=2,
        vocab_size=128,
        max_position_embeddings=64,
        **overrides,
    )
    return LlamaForCausalLM(config)


def tiny_bert_classifier(num_labels: int = 3):
    """A 2-layer BERT with a freshly initialised classification head."""
    from transformers import BertConfig, BertForSequenceClassification

    torch.manual_seed(0)
    config = BertConfig(
        hidden_size=64,
        num_hidden_layers=2,
        num_attention_heads=4,
        intermediate_size=128,
        vocab_size=128,
        max_position_embeddings=64,
        num_labels=num_labels,
    )
    return BertForSequenceClassification(config)


def tiny_vit_classifier(num_labels: int = 3):
    """A 2-layer ViT image classifier (32x32 images, 8x8 patches)."""
    from transformers import ViTConfig, ViTForImageClassification

    torch.manual_seed(0)
    config = ViTConfig(
        hidden_size=64,
        num_hidden_layers=2,
        num_attention_heads=4,
        intermediate_size=128,
        image_size=32,
        patch_size=8,
        num_labels=num_labels,
    )
    return ViTForImageClassification(config)


def lm_batch(batch_size: int = 2, seq_len: int = 8) -> dict:
    """A causal-LM batch: token ids, attention mask and labels."""
    generator = torch.Generator().manual_seed(0)
    ids = torch.randint(0, 128, (batch_size, seq_len), generator=generator)
    return {"input_ids": ids, "attention_mask": torch.ones_like(ids), "labels": ids.clone()}


def seed_lora_config(**overrides):
    """The configuration most LoRA tutorials start from: r=8, alpha=16 on q_proj and v_proj."""
    from peft import LoraConfig

    values = dict(
        r=8, lora_alpha=16, target_modules=["q_proj", "v_proj"], lora_dropout=0.05, bias="none", task_type="CAUSAL_LM"
    )
    values.update(overrides)
    return LoraConfig(**values)
