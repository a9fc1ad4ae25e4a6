"""Bug: resuming training from a saved adapter loaded without ``is_trainable=True``.
``PeftModel.from_pretrained`` loads adapters for inference: every LoRA weight is frozen, the
optimizer gets nothing to update, and the loss curve is the base model's.

    lora-lint check examples/loaded_frozen_adapter.py:build     # LORA202
"""

from __future__ import annotations

import tempfile

import torch
from _tiny import lm_batch, seed_lora_config, tiny_llama
from peft import PeftModel, get_peft_model


def build():
    yesterday = get_peft_model(tiny_llama(), seed_lora_config())
    with torch.no_grad():  # stands in for yesterday's training: lora_B moved away from zero
        for name, param in yesterday.named_parameters():
            if "lora_B" in name:
                param.normal_(std=0.02)
    with tempfile.TemporaryDirectory(prefix="lora-lint-example-") as saved:  # the weights are read in: nothing stays behind
        yesterday.save_pretrained(saved)
        model = PeftModel.from_pretrained(tiny_llama(), saved)  # missing: is_trainable=True
    model.train()
    return model, lm_batch()
