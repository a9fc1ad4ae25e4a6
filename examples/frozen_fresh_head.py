"""Bug: sequence classification without ``task_type``. The classifier head is initialised fresh
(random), but peft only makes it trainable and saves it for ``task_type="SEQ_CLS"`` (or with
``modules_to_save``): the adapter learns to feed a random, frozen head.

    lora-lint check examples/frozen_fresh_head.py:build     # LORA203
"""

from __future__ import annotations

import torch
from _tiny import tiny_bert_classifier
from peft import LoraConfig, get_peft_model


def build():
    config = LoraConfig(r=8, lora_alpha=16, target_modules=["query", "value"], lora_dropout=0.05)  # no task_type
    model = get_peft_model(tiny_bert_classifier(num_labels=3), config)
    model.train()
    ids = torch.randint(0, 128, (2, 8), generator=torch.Generator().manual_seed(0))
    return model, {"input_ids": ids, "attention_mask": torch.ones_like(ids), "labels": torch.tensor([0, 2])}
