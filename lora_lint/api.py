"""``lint()``: lint one live model or prepared Setup, through the same path as :func:`lora_lint.lint_targets`."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from lora_lint.context import Setup
from lora_lint.errors import UsageError
from lora_lint.report import Report
from lora_lint.settings import Settings


def lint(
    model: Any,
    batch: Any = None,
    optimizer: Any = None,
    probe: bool | None = None,
    select: Iterable[str] | str | None = None,
    ignore: Iterable[str] | str | None = None,
    intent: str | None = None,
    *,
    extend_select: Iterable[str] | str | None = None,
    device: str | None = None,
    settings: Settings | None = None,
    plugins: tuple[object, ...] = (),
) -> Report:
    """Lint one LoRA setup and return the report; the model is left exactly as it was.

    ``model`` is a peft ``PeftModel``, any ``nn.Module`` holding peft LoRA layers, a
    ``transformers.Trainer`` (its model, first training batch, optimizer and tokenizer; the trainer is
    left as it was), or a prepared :class:`~lora_lint.context.Setup`. Keyword arguments given override ``settings``; left at
    ``None`` they keep its value (by default the probe runs and the intent is ``"training"``).

    Inside an initialised process group (every rank calls it, as with any collective), each rank gets
    the report of the whole job, so every rank decides alike; an error on one rank raises ``RankFailed``
    on the others.

    Example::

        report = lora_lint.lint(peft_model, select=["LORA1", "LORA2"])
        report.assert_clean()
    """
    from lora_lint.linting import Linter
    from lora_lint.rank_exchange import failures_shared

    with failures_shared():  # called by every rank of a job: bad input on one rank stops them all
        base = settings or Settings()
        effective = base.merged(
            select=select, ignore=ignore, extend_select=extend_select, probe=probe, intent=intent, device=device
        )
        setup = as_setup(model, batch, optimizer)
        return Linter(plugins).lint((), effective, setups=[setup])


def as_setup(model: Any, batch: Any = None, optimizer: Any = None) -> Setup:
    """``model`` as a Setup (a Setup given is used as is, with ``batch``/``optimizer`` filled in when given;
    a Trainer is read by :func:`lora_lint.sources.trainer.setup_from_trainer`).

    Anything else but a torch module instance is a ``TypeError`` saying what was expected, before
    any rule reads it.
    """
    if isinstance(model, Setup):
        if batch is not None:
            model.batch = batch
        if optimizer is not None:
            model.optimizer = optimizer
        return model
    from lora_lint.sources.trainer import is_trainer, setup_from_trainer

    if is_trainer(model):
        setup = setup_from_trainer(_describe(model), model)
        setup.batch = batch if batch is not None else setup.batch
        setup.optimizer = optimizer if optimizer is not None else setup.optimizer
        return setup
    check_model(model)
    return Setup(target=_describe(model), model=model, batch=batch, optimizer=optimizer)


def check_model(model: Any) -> None:
    """A ``UsageError`` for ``None``, a ``TypeError`` for anything that is not a torch module instance."""
    if model is None:
        raise UsageError("lint() needs a model (or a Setup), got None")
    import torch

    if isinstance(model, torch.nn.Module):
        return
    if isinstance(model, type):
        got = f"the class {model.__name__} (build an instance first)"
    elif isinstance(model, str):
        got = f"the string {model!r} (lora_lint.lint_targets takes TARGET strings)"
    else:
        got = f"a {type(model).__name__}"
    raise TypeError(
        f"expected a model: a torch.nn.Module (a PeftModel or a module holding LoRA layers) or a Setup, got {got}"
    )


def _describe(model: Any) -> str:
    return f"<{type(model).__name__}>"
