"""A correct LoRA setup: lora-lint finds nothing.

    lora-lint check examples/correct.py:build
"""

from __future__ import annotations

import torch
from _tiny import lm_batch, seed_lora_config, tiny_llama
from peft import get_peft_model


def build():
    model = get_peft_model(tiny_llama(), seed_lora_config())
    model.train()
    optimizer = torch.optim.AdamW((p for p in model.parameters() if p.requires_grad), lr=2e-4)
    return {"model": model, "batch": lm_batch(), "optimizer": optimizer}
