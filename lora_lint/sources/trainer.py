"""A ``transformers.Trainer`` as a target: its model, first training batch, optimizer, tokenizer and arguments.

The batch comes from ``trainer.get_train_dataloader()`` and the optimizer from ``trainer.create_optimizer()``,
as ``train()`` gets them; everything these calls leave behind (attributes set on the trainer, the prepared
data loader accelerate keeps, the RNG draws of the sampler) is put back, so the run that follows sees the
same first batch and the same random numbers as a run that was never linted.
"""

from __future__ import annotations

import random
import sys
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from lora_lint.context import Setup
from lora_lint.errors import SetupLoadError
from lora_lint.facts.launch import LaunchFacts
from lora_lint.facts.trainer_inputs import TrainerInputs
from lora_lint.findings import Location
from lora_lint.text import one_line


def trainer_of(result: Any) -> Any:
    """The Trainer a factory returned (itself, or under ``trainer`` of a mapping), else None."""
    if isinstance(result, Mapping) and "trainer" in result:
        return result["trainer"]
    return result if is_trainer(result) else None


def is_trainer(obj: Any) -> bool:
    transformers = sys.modules.get("transformers")  # nothing to recognise when transformers was never imported
    return transformers is not None and isinstance(obj, transformers.Trainer)


def setup_from_trainer(target: str, trainer: Any, origin: Location | None = None) -> Setup:
    """One setup from a live Trainer; the trainer, its model and its data are left as they were."""
    if not is_trainer(trainer):
        raise SetupLoadError(target, f"'trainer' is a {type(trainer).__name__}, not a transformers.Trainer")
    dataset = trainer.train_dataset
    if dataset is None:
        raise SetupLoadError(target, f"the {type(trainer).__name__} has no train_dataset: there is no batch to check")
    if _is_iterable(dataset):
        raise SetupLoadError(
            target, f"the train_dataset is an iterable {type(dataset).__name__}: its first batch cannot be read "
            "without consuming it; lint a map-style dataset, or return (model, batch) from the factory",
        )
    with untouched(trainer):
        removed = _removed_columns(trainer, dataset)
        batch, error = _first_batch(target, trainer, removed)
        optimizer = _optimizer(target, trainer)
    args = trainer.args
    inputs = TrainerInputs(
        trainer_type=type(trainer).__name__,
        inspected=type(_inspected(trainer)).__name__,
        label_names=tuple(trainer.label_names or ()),
        label_names_given=args.label_names is not None,
        evaluates=trainer.eval_dataset is not None or str(getattr(args, "eval_strategy", "no")) not in ("no", "IntervalStrategy.NO"),
        remove_unused_columns=bool(args.remove_unused_columns),
        removed_columns=removed,
        batch_error=error,
    )
    setup = Setup(
        target=target, model=trainer.model, batch=batch, optimizer=optimizer, origin=origin or Location(),
        trainer_inputs=inputs,
    )
    return attach_run(setup, args, getattr(trainer, "processing_class", None))


def attach_run(setup: Setup, args: Any, processing_class: Any) -> Setup:
    """``setup`` with what the training run tells lint: the tokenizer (pad and EOS ids), the
    ``TrainingArguments`` (maximum length) and the launch they configure (a DeepSpeed file).

    A Trainer target and ``LoraLintCallback`` both read the run through this one function.
    """
    setup.tokenizer = _tokenizer(processing_class)
    setup.training_args = args
    if args is not None:
        setup.launch = _launch(args)
    return setup


def _is_iterable(dataset: Any) -> bool:
    import torch

    return isinstance(dataset, torch.utils.data.IterableDataset) or not hasattr(dataset, "__len__")


@contextmanager
def untouched(trainer: Any) -> Iterator[None]:
    """Put back the trainer's attributes, accelerate's list of prepared loaders and every RNG state."""
    import torch

    saved = dict(vars(trainer))
    accelerator = getattr(trainer, "accelerator", None)
    loaders = list(getattr(accelerator, "_dataloaders", ()))  # accelerate internal: prepare() appends to it
    cpu, py = torch.get_rng_state(), random.getstate()
    cuda = torch.cuda.get_rng_state_all() if torch.cuda.is_available() and torch.cuda.is_initialized() else None
    np_state = _numpy_state()
    try:
        yield
    finally:
        torch.set_rng_state(cpu)
        random.setstate(py)
        if cuda is not None:
            torch.cuda.set_rng_state_all(cuda)
        if np_state is not None:
            import numpy

            numpy.random.set_state(np_state)
        for key in set(vars(trainer)) - set(saved):
            del vars(trainer)[key]
        for key, value in saved.items():
            if vars(trainer).get(key) is not value:
                vars(trainer)[key] = value
        if accelerator is not None and hasattr(accelerator, "_dataloaders"):
            accelerator._dataloaders[:] = loaders


def _numpy_state() -> Any:
    numpy = sys.modules.get("numpy")
    return numpy.random.get_state() if numpy is not None else None


def _inspected(trainer: Any) -> Any:
    """The model whose forward the Trainer reads (transformers: the base model of a peft model)."""
    model = trainer.model
    get_base = getattr(model, "get_base_model", None)
    return get_base() if callable(get_base) and hasattr(model, "peft_config") else model


def _removed_columns(trainer: Any, dataset: Any) -> tuple[str, ...]:
    """Columns ``remove_unused_columns`` drops (transformers internal: ``_set_signature_columns_if_needed``)."""
    if not trainer.args.remove_unused_columns:
        return ()
    columns = getattr(dataset, "column_names", None)
    if columns is None:
        try:
            first = dataset[0]
        except Exception:  # the user's dataset: a failure here shows again when the loader reads it
            return ()
        columns = list(first) if isinstance(first, Mapping) else []
    try:
        trainer._set_signature_columns_if_needed()
    except Exception:
        return ()
    kept = set(trainer._signature_columns or ())
    return tuple(sorted(str(c) for c in columns if c not in kept))


def _first_batch(target: str, trainer: Any, removed: tuple[str, ...]) -> tuple[Any, str | None]:
    """The first training batch, or (None, why) when it failed after columns were removed."""
    loader = None
    try:
        loader = trainer.get_train_dataloader()
        batches = iter(loader)
        try:
            batch = next(batches)
        finally:
            close = getattr(batches, "close", None)
            if callable(close):
                close()
    except StopIteration:
        raise SetupLoadError(target, "the train dataloader yields no batch (an empty train_dataset?)") from None
    except Exception as exc:  # the user's collator and dataset
        why = f"{type(exc).__name__}: {one_line(exc) or '(no message)'}"
        if removed:
            return None, why
        raise SetupLoadError(target, f"reading the first training batch failed: the collator or dataset raised {why}") from None
    finally:
        end = getattr(loader, "end", None)  # accelerate internal: a loader stopped early stays the active one
        if callable(end):
            end()
    if not isinstance(batch, Mapping) or not batch:
        raise SetupLoadError(
            target, f"the first training batch is a {type(batch).__name__}, not a mapping of tensors (the data_collator's output)"
        )
    import torch

    odd = [str(k) for k, v in batch.items() if not isinstance(v, torch.Tensor)]
    if odd:
        raise SetupLoadError(target, f"the first training batch holds non-tensor values under {', '.join(odd)}: the collator must return tensors")
    return batch, None


def _optimizer(target: str, trainer: Any) -> Any:
    """The trainer's optimizer, or the one ``train()`` would create (not left set on the trainer)."""
    if trainer.optimizer is not None:
        return trainer.optimizer
    try:
        return trainer.create_optimizer()
    except Exception as exc:
        raise SetupLoadError(target, f"creating the trainer's optimizer failed: {type(exc).__name__}: {one_line(exc)}") from None


def _tokenizer(processing_class: Any) -> Any:
    tok = processing_class
    if tok is not None and not hasattr(tok, "eos_token_id"):
        tok = getattr(tok, "tokenizer", None)  # a processor carries its tokenizer
    return tok


def _launch(args: Any) -> LaunchFacts | None:
    """Launch facts from ``TrainingArguments.deepspeed``, a JSON file or a dict (``fsdp``/``fsdp_config`` are
    not read: transformers 4.x and 5.x turn them into different accelerate settings)."""
    from lora_lint.facts.launch import read_launch
    from lora_lint.facts.launch_files import ConfigFile

    deepspeed = getattr(args, "deepspeed", None)
    if isinstance(deepspeed, Mapping):
        return read_launch(deepspeed=ConfigFile(Path("TrainingArguments.deepspeed"), deepspeed, {}))
    if not isinstance(deepspeed, (str, Path)) or not deepspeed:
        return None
    return read_launch(deepspeed=Path(deepspeed))  # an unreadable file is a usage error naming it
