"""What a ``transformers.Trainer`` does to the inputs before the model sees them, read once by the trainer loader."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class TrainerInputs:
    """The Trainer's label names, the dataset columns it removes, and whether it evaluates."""

    #: ``Trainer``, ``SFTTrainer``
    trainer_type: str
    #: the model class whose ``forward`` signature the Trainer reads (the base model under peft)
    inspected: str
    #: ``trainer.label_names``: what evaluation collects as labels (empty: no eval loss, no label_ids)
    label_names: tuple[str, ...]
    #: ``TrainingArguments.label_names`` was given explicitly
    label_names_given: bool
    #: an evaluation is configured (an eval dataset, or an eval strategy other than "no")
    evaluates: bool
    #: ``TrainingArguments.remove_unused_columns``
    remove_unused_columns: bool
    #: dataset columns (or row keys) the Trainer drops because ``forward`` does not name them
    removed_columns: tuple[str, ...] = ()
    #: why no first batch could be read after those columns were removed (the collator raised)
    batch_error: str | None = None
