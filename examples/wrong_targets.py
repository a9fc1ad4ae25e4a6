"""Bug: a target name copied from a BERT tutorial. peft raises only when *no* entry matches,
so this trains q_proj alone and the run looks healthy.

    lora-lint check examples/wrong_targets.py:build     # LORA101, suggests v_proj
"""

from __future__ import annotations

from _tiny import lm_batch, seed_lora_config, tiny_llama
from peft import get_peft_model


def build():
    config = seed_lora_config(target_modules=["q_proj", "value"])  # Llama calls it v_proj
    model = get_peft_model(tiny_llama(), config)
    model.train()
    return model, lm_batch()
