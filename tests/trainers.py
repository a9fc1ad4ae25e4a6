"""Real tokenizers and Trainers for tests: a WordLevel tokenizer trained in memory, tiny Trainers over in-memory data.

Nothing is downloaded: the tokenizer is trained on the sentences below, the model is the tiny Llama (or BERT
classifier) of ``tests.tiny_models``. Every Trainer runs on CPU with no reporting integration.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

import torch

from tests.tiny_models import bert_classifier, llama, lora

SENTENCES = (
    "the cat sat on the mat",
    "a dog ran in the park",
    "what is two plus two",
    "two plus two is four",
    "name a colour of the sky",
    "the sky is blue",
    "how many legs has a cat",
    "a cat has four legs",
)
SPECIALS = ("<pad>", "<eos>", "<unk>", "<user>", "<bot>")


def tokenizer(pad_is_eos: bool = False, model_max_length: int = 32) -> Any:
    """A real ``PreTrainedTokenizerFast`` (WordLevel, whitespace split) trained on SENTENCES; ids fit vocab 128."""
    from tokenizers import Tokenizer, models, pre_tokenizers, trainers
    from transformers import PreTrainedTokenizerFast

    raw = Tokenizer(models.WordLevel(unk_token="<unk>"))
    raw.pre_tokenizer = pre_tokenizers.WhitespaceSplit()
    raw.train_from_iterator(SENTENCES, trainers.WordLevelTrainer(special_tokens=list(SPECIALS)))
    tok = PreTrainedTokenizerFast(
        tokenizer_object=raw, unk_token="<unk>", eos_token="<eos>", pad_token="<eos>" if pad_is_eos else "<pad>"
    )
    tok.model_max_length = model_max_length
    return tok


def sft_rows(tok: Any, max_length: int = 32, mask_all: bool = False, eos: bool = True) -> list[dict[str, list[int]]]:
    """Prompt/answer rows: the prompt masked with -100, the answer (and EOS) supervised; ``mask_all`` masks everything."""
    rows = []
    for prompt, answer in zip(SENTENCES[0::2], SENTENCES[1::2]):
        p = tok(f"<user> {prompt} <bot>", add_special_tokens=False)["input_ids"]
        a = tok(answer, add_special_tokens=False)["input_ids"] + ([tok.eos_token_id] if eos else [])
        ids = (p + a)[:max_length]
        labels = ([-100] * len(p) + a)[:max_length]
        if mask_all:
            labels = [-100] * len(ids)
        rows.append({"input_ids": ids, "labels": labels})
    return rows


class ListDataset(torch.utils.data.Dataset):  # type: ignore[type-arg]
    """A map-style dataset over a list of dicts (no ``datasets`` dependency)."""

    def __init__(self, rows: Sequence[Mapping[str, Any]]) -> None:
        self.rows = list(rows)

    def __len__(self) -> int:
        return len(self.rows)

    def __getitem__(self, i: int) -> Mapping[str, Any]:
        return self.rows[i]


def pad_collator(pad_id: int, mask_pad: bool = True) -> Callable[[list[Mapping[str, Any]]], dict[str, torch.Tensor]]:
    """Right-pad ``input_ids``/``labels``; pads get label -100 (also a pad that is the EOS token: the classic bug)."""

    def collate(rows: list[Mapping[str, Any]]) -> dict[str, torch.Tensor]:
        width = max(len(r["input_ids"]) for r in rows)
        ids, labels, mask = [], [], []
        for r in rows:
            n = len(r["input_ids"])
            ids.append(list(r["input_ids"]) + [pad_id] * (width - n))
            labels.append(list(r["labels"]) + [-100] * (width - n))
            mask.append([1] * n + [0] * (width - n))
        out = {"input_ids": torch.tensor(ids), "attention_mask": torch.tensor(mask), "labels": torch.tensor(labels)}
        if mask_pad:  # a collator that masks every pad id also masks a real EOS when pad == EOS
            out["labels"] = out["labels"].masked_fill(out["input_ids"] == pad_id, -100)
        return out

    return collate


def arguments(out: Path, **overrides: Any) -> Any:
    from transformers import TrainingArguments

    values: dict[str, Any] = dict(
        output_dir=str(out), per_device_train_batch_size=2, max_steps=3, learning_rate=1e-3, use_cpu=True,
        report_to=[], save_strategy="no", logging_strategy="no", seed=7, remove_unused_columns=False,
    )
    values.update(overrides)
    return TrainingArguments(**values)


def sft_trainer(
    out: Path, *, pad_is_eos: bool = False, mask_all: bool = False, eos: bool = True, max_length: int = 32,
    rows: Sequence[Mapping[str, Any]] | None = None, collator: Any = None, model: Any = None,
    callbacks: list[Any] | None = None, **args: Any,
) -> Any:
    """A real causal-LM Trainer: the tiny Llama with LoRA, prompt-masked rows, a padding collator."""
    from transformers import Trainer

    tok = tokenizer(pad_is_eos=pad_is_eos, model_max_length=max_length)
    data = rows if rows is not None else sft_rows(tok, max_length=max_length, mask_all=mask_all, eos=eos)
    return Trainer(
        model=model if model is not None else lora(llama()),
        args=arguments(out, **args),
        train_dataset=ListDataset(data),
        data_collator=collator or pad_collator(tok.pad_token_id),
        processing_class=tok,
        callbacks=callbacks,
    )


def classification_trainer(out: Path) -> Any:
    """A real sequence-classification Trainer: the tiny BERT with LoRA (task SEQ_CLS), one label per row."""
    from transformers import DataCollatorWithPadding, Trainer

    tok = tokenizer()
    rows = [dict(tok(s), label=i % 3) for i, s in enumerate(SENTENCES)]
    model = lora(bert_classifier(), task_type="SEQ_CLS", target_modules=["query", "value"])
    return Trainer(
        model=model, args=arguments(out), train_dataset=ListDataset(rows),
        data_collator=DataCollatorWithPadding(tok), processing_class=tok,
    )


def text_collator(tok: Any) -> Callable[[list[Mapping[str, Any]]], Any]:
    """A collator that tokenises the raw ``text`` column itself (labels = input ids, pads masked)."""

    def collate(rows: list[Mapping[str, Any]]) -> Any:
        enc = tok([r["text"] + " <eos>" for r in rows], padding=True, return_tensors="pt")
        enc["labels"] = enc["input_ids"].masked_fill(enc["attention_mask"] == 0, -100)
        return enc  # a BatchEncoding: a Mapping, not a dict

    return collate
