"""Bug: base weights unfrozen after wrapping ("train the norms too, for stability"). They train,
but ``save_pretrained`` writes only the adapter: those updates are lost, and memory use grows.

    lora-lint check examples/unfrozen_base.py:build     # LORA201
"""

from __future__ import annotations

from _tiny import lm_batch, seed_lora_config, tiny_llama
from peft import get_peft_model


def build():
    model = get_peft_model(tiny_llama(), seed_lora_config())
    for name, param in model.named_parameters():
        if "norm" in name:
            param.requires_grad = True  # undeclared: not in modules_to_save, never saved
    model.train()
    return model, lm_batch()
