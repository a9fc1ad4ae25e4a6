"""Bug: a model that ties ``lm_head`` to ``embed_tokens`` gets ``lm_head`` alone in ``modules_to_save``.
peft trains a copy of the output side only: the pair drifts apart, and when the saved adapter is
loaded transformers ties the two again, so one of the trained versions is dropped.

    lora-lint check examples/tied_embeddings_split.py:build     # LORA208
"""

from __future__ import annotations

from _tiny import lm_batch, seed_lora_config, tiny_llama
from peft import get_peft_model


def build():
    base = tiny_llama(tie_word_embeddings=True)
    model = get_peft_model(base, seed_lora_config(modules_to_save=["lm_head"]))  # "train the head too"
    model.train()
    return model, lm_batch()
