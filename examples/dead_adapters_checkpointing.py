"""Bug: reentrant activation checkpointing turned on *after* wrapping an image model.
Pixel inputs never need gradient and the patch embeddings are frozen, so backward never
re-enters the checkpointed blocks: every adapter inside them gets no gradient while the loss
still prints. (peft adds the input-grad hook only when checkpointing is on before
``get_peft_model``; transformers only for token-id models.)

    lora-lint check examples/dead_adapters_checkpointing.py:build     # LORA504, LORA401
"""

from __future__ import annotations

import torch
from _tiny import tiny_vit_classifier
from peft import LoraConfig, get_peft_model


def build():
    # ViT's query/value projections: q_proj/v_proj since transformers 5, query/value before
    targets = r".*\.(q_proj|v_proj|query|value)"
    config = LoraConfig(r=8, lora_alpha=16, target_modules=targets, modules_to_save=["classifier"])
    model = get_peft_model(tiny_vit_classifier(), config)
    model.gradient_checkpointing_enable(gradient_checkpointing_kwargs={"use_reentrant": True})
    # missing: model.enable_input_require_grads()
    model.train()
    generator = torch.Generator().manual_seed(0)
    batch = {"pixel_values": torch.randn(2, 3, 32, 32, generator=generator), "labels": torch.tensor([0, 2])}
    return model, batch
