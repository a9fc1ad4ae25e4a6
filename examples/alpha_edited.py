"""Bug: ``lora_alpha`` edited on the config after the adapter was built. The layers keep the
scale they were built with (16/8 = 2), but the saved adapter_config.json says 64: whoever
loads the adapter runs it at 64/8 = 8, four times what was trained.

    lora-lint check examples/alpha_edited.py:build     # LORA303
"""

from __future__ import annotations

from _tiny import lm_batch, seed_lora_config, tiny_llama
from peft import get_peft_model


def build():
    model = get_peft_model(tiny_llama(), seed_lora_config())
    model.peft_config["default"].lora_alpha = 64  # "a stronger adapter", too late
    model.train()
    return model, lm_batch()
