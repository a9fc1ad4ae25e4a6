"""The same setup trained with the transformers ``Trainer`` under ``LoraLintCallback``.

The callback lints the live model with the trainer's first batch and optimizer when training
begins, checks after the first optimizer step with a learning rate that every adapter layer
changed and no undeclared base weight did, and then costs nothing more. A setup that cannot learn
raises ``lora_lint.LintFailed`` before the run is wasted.
"""

from __future__ import annotations

from typing import Any

import torch
from peft import get_peft_model
from transformers import Trainer, TrainingArguments

from lora_lint.integrations.transformers import LoraLintCallback
from train import LORA, build_base


def rows(count: int = 8, length: int = 16) -> list[dict[str, list[int]]]:
    """An in-memory causal-LM dataset: token ids that are their own labels."""
    ids = torch.randint(0, 128, (count, length), generator=torch.Generator().manual_seed(1))
    return [{"input_ids": r, "attention_mask": [1] * length, "labels": r} for r in ids.tolist()]


def build_trainer(out: str = "guarded-run", steps: int = 3, model: Any = None) -> Trainer:
    """A Trainer over the LoRA model with the guard installed."""
    args = TrainingArguments(
        output_dir=out, max_steps=steps, per_device_train_batch_size=4, learning_rate=1e-3,
        logging_steps=1, save_strategy="no", report_to=[], use_cpu=True, disable_tqdm=True,
    )
    model = model if model is not None else get_peft_model(build_base(), LORA)
    return Trainer(model=model, args=args, train_dataset=rows(), callbacks=[LoraLintCallback()])


def main() -> None:
    trainer = build_trainer()
    trainer.train()
    trainer.save_model("guarded-run/adapter")


if __name__ == "__main__":
    main()
