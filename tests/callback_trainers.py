"""Real ``Trainer`` runs on the tiny Llama for the training-run guard: a WordLevel tokenizer trained in
memory, an in-memory dataset, CPU only, no reporting integrations, a few steps."""

from __future__ import annotations

import functools
from pathlib import Path
from typing import Any

import torch

from tests.tiny_models import llama, lora

WORDS = [f"w{i}" for i in range(100)]
SEQ = 12


@functools.lru_cache(maxsize=1)
def tokenizer() -> Any:
    """A real fast tokenizer (WordLevel over the words of the dataset), built offline."""
    from tokenizers import Tokenizer, models, pre_tokenizers, trainers
    from transformers import PreTrainedTokenizerFast

    tok = Tokenizer(models.WordLevel(unk_token="<unk>"))
    tok.pre_tokenizer = pre_tokenizers.Whitespace()
    tok.train_from_iterator([" ".join(WORDS)], trainers.WordLevelTrainer(special_tokens=["<pad>", "<unk>", "</s>"]))
    return PreTrainedTokenizerFast(tokenizer_object=tok, pad_token="<pad>", unk_token="<unk>", eos_token="</s>")


def dataset(rows: int = 12, mask_labels: bool = False) -> list[dict[str, list[int]]]:
    """Rows of token ids ending in EOS; ``mask_labels`` plants the bug of a collator masking every label."""
    tok = tokenizer()
    out = []
    for i in range(rows):
        text = " ".join(WORDS[(i * 7 + j) % len(WORDS)] for j in range(SEQ - 1))
        ids = tok(text)["input_ids"] + [tok.eos_token_id]
        out.append({"input_ids": ids, "attention_mask": [1] * len(ids), "labels": [-100] * len(ids) if mask_labels else ids})
    return out


def lora_model(unfrozen_base: bool = False, **config: Any) -> Any:
    """The tiny Llama under LoRA in train mode, without dropout so runs compare exactly."""
    model = lora(llama(), lora_dropout=0.0, **config)
    if unfrozen_base:  # a parameter unfrozen by hand after wrapping: no config field declares it
        model.base_model.model.model.layers[0].mlp.down_proj.weight.requires_grad_(True)
    return model.train()


def adapter_lr_zero_optimizer(model: Any) -> torch.optim.Optimizer:
    """The lr-0 bug: lora_B in a param group of its own with learning rate 0."""
    named = [(n, p) for n, p in model.named_parameters() if p.requires_grad]
    return torch.optim.AdamW(
        [
            {"params": [p for n, p in named if "lora_B" in n], "lr": 0.0},
            {"params": [p for n, p in named if "lora_B" not in n]},
        ],
        lr=1e-3,
    )


def trainer(
    tmp_path: Path,
    *,
    model: Any = None,
    optimizer: Any = None,
    callbacks: list[Any] | None = None,
    mask_labels: bool = False,
    steps: int = 3,
    **args: Any,
) -> Any:
    """A real ``Trainer`` over the tiny LoRA Llama (a fresh one unless ``model`` is given)."""
    from transformers import Trainer, TrainingArguments

    model = model if model is not None else lora_model()
    settings: dict[str, Any] = dict(
        output_dir=str(tmp_path / "out"),
        max_steps=steps,
        per_device_train_batch_size=4,
        learning_rate=1e-3,
        logging_steps=1,
        save_strategy="no",
        report_to=[],
        use_cpu=True,
        seed=7,
        disable_tqdm=True,
        dataloader_num_workers=0,
    )
    settings.update(args)
    return Trainer(
        model=model,
        args=TrainingArguments(**settings),
        train_dataset=dataset(mask_labels=mask_labels),
        processing_class=tokenizer(),
        optimizers=(optimizer, None),
        callbacks=callbacks,
    )


def losses(trainer: Any) -> list[float]:
    """The per-step training losses the run logged."""
    return [entry["loss"] for entry in trainer.state.log_history if "loss" in entry]


def guarded_setup(tmp_path: Path, *, model: Any = None, optimizer: Any = None, **args: Any) -> Any:
    """Train 3 real steps under ``LoraLintCallback`` (warn only); the trained model with what its checked step changed."""
    from lora_lint.context import Setup
    from lora_lint.integrations.transformers import LoraLintCallback

    guard = LoraLintCallback(on_error="warn")
    run = trainer(tmp_path, model=model, optimizer=optimizer, callbacks=[guard], **args)
    run.train()
    assert guard.first_step_facts is not None, "the run never took a step with a learning rate"
    return Setup(target="<trainer>", model=run.model, first_step=guard.first_step_facts)
