"""``LoraLintCallback``: lint a transformers ``Trainer`` run at train begin and after its first real step.

At train begin the live model is linted with the first batch of the trainer's own data loader, its
optimizer, its tokenizer and its arguments. Around the first optimizer step whose learning rate is
above zero, cheap fingerprints show which adapter layers did not change (LORA406) and which
undeclared base weights did (LORA407). The callback then goes quiet: it registers no hooks, so later
steps cost a method call that returns at once.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from typing import Any, TypeVar

from transformers import TrainerCallback, TrainerControl, TrainerState, TrainingArguments

from lora_lint.errors import LintFailed, UsageError
from lora_lint.facts.first_step import FirstStepFacts, StepWatch, group_rates, innermost_optimizer
from lora_lint.integrations.peek import peek_batch, unwrap_model
from lora_lint.report import Report, fail_threshold
from lora_lint.selection import is_selected, normalise_codes

__all__ = ["LoraLintCallback"]

logger = logging.getLogger("lora_lint")

FIRST_STEP_CODES = ("LORA406", "LORA407")
ON_ERROR = ("raise", "stop", "warn")
_T = TypeVar("_T")


class LoraLintCallback(TrainerCallback):  # type: ignore[misc]  # transformers is read as untyped (pyproject)
    """Stop (or warn about) a training run whose LoRA setup cannot learn, before it wastes the run.

    ``fail_on``: the lowest severity that fails ("error", "warning", "info", "never"). ``on_error``:
    "raise" raises :class:`lora_lint.LintFailed`, "stop" ends training after the current step,
    "warn" logs the report and goes on. ``first_step=False`` skips the LORA406/407 step check.
    """

    def __init__(
        self,
        fail_on: str = "error",
        select: Iterable[str] | str | None = None,
        ignore: Iterable[str] | str | None = None,
        on_error: str = "raise",
        first_step: bool = True,
    ) -> None:
        if on_error not in ON_ERROR:
            raise UsageError(f"on_error must be one of {', '.join(ON_ERROR)}, not {on_error!r}")
        fail_threshold(fail_on)  # a mistyped threshold fails here, not mid-run
        self.fail_on = fail_on
        self.select = normalise_codes(select) or None
        self.ignore = normalise_codes(ignore)
        self.on_error = on_error
        self.first_step = first_step
        #: every report this callback produced, in order (train begin, first step)
        self.reports: list[Report] = []
        #: what the checked step changed, once it ran
        self.first_step_facts: FirstStepFacts | None = None
        self._watch: StepWatch | None = None
        self._armed = False

    def on_train_begin(
        self, args: TrainingArguments, state: TrainerState, control: TrainerControl, **kwargs: Any
    ) -> None:
        from lora_lint.api import lint
        from lora_lint.context import Setup
        from lora_lint.sources.trainer import attach_run

        model = unwrap_model(kwargs.get("model"))
        optimizer = kwargs.get("optimizer")
        self._watch, self._armed = None, False
        if model is None:
            return
        batch = _guarded("reading the first training batch", lambda: peek_batch(kwargs.get("train_dataloader")))

        def train_begin() -> Report:
            setup = Setup(
                target=f"<{type(model).__name__}>", model=model, batch=batch,
                optimizer=innermost_optimizer(optimizer) if optimizer is not None else None,
            )
            # the tokenizer, arguments and launch, read as for a Trainer target
            attach_run(setup, args, kwargs.get("processing_class"))
            return lint(setup, select=self.select, ignore=self.ignore)

        report = _guarded("the train-begin lint", train_begin)
        self._decide(report, control, state, "at train begin")
        if self.first_step and not control.should_training_stop and self._step_codes() and optimizer is not None:
            self._watch = _guarded("fingerprinting the weights", lambda: StepWatch(model, optimizer))

    def on_pre_optimizer_step(
        self, args: TrainingArguments, state: TrainerState, control: TrainerControl, **kwargs: Any
    ) -> None:
        watch = self._watch
        if watch is None:
            return
        rates = group_rates(innermost_optimizer(kwargs.get("optimizer")))
        if max(rates, default=0.0) <= 0:  # a warmup from lr 0: wait for the first step that has a rate
            return

        def arm() -> bool:
            watch.before()
            return True

        self._armed = _guarded("fingerprinting the weights", arm) is True
        if not self._armed:
            self._watch = None

    def on_optimizer_step(
        self, args: TrainingArguments, state: TrainerState, control: TrainerControl, **kwargs: Any
    ) -> None:
        watch = self._watch
        if watch is None or not self._armed:
            return
        self._watch, self._armed = None, False  # from here on every event returns at once
        from lora_lint.api import lint
        from lora_lint.context import Setup

        model = unwrap_model(kwargs.get("model"))
        facts = _guarded("comparing the weights after the first step", lambda: watch.after(state.global_step + 1))
        if facts is None:
            return
        self.first_step_facts = facts
        setup = Setup(target=f"<{type(model).__name__}>", model=model, first_step=facts)
        report = _guarded("the first-step check", lambda: lint(setup, probe=False, select=self._step_codes()))
        self._decide(report, control, state, f"after optimizer step {facts.step}")

    def _step_codes(self) -> list[str]:
        return [c for c in FIRST_STEP_CODES if is_selected(c, self.select, self.ignore)]

    def _decide(self, report: Report | None, control: TrainerControl, state: TrainerState, when: str) -> None:
        """Act on ``report`` the same way on every process; only the first one prints."""
        failing = report.failing(self.fail_on) if report is not None else []
        failed = _any_rank(bool(failing))
        if report is None:
            return
        self.reports.append(report)
        if report.findings and state.is_world_process_zero:
            log = logger.error if failed else logger.warning
            log("lora-lint %s:\n%s", when, report.format_findings())
        if not failed:
            return
        message = f"lora-lint found {len(failing)} problem(s) at or above {self.fail_on} {when}"
        if self.on_error == "raise":
            raise LintFailed(report, f"{message}:\n{report.format_findings(failing)}")
        if self.on_error == "stop":
            control.should_training_stop = True
            if state.is_world_process_zero:
                logger.error("%s; training stops", message)


def _guarded(what: str, work: Callable[[], _T]) -> _T | None:
    """Run ``work``; an internal error becomes a warning so a healthy run never breaks on lora-lint."""
    try:
        return work()
    except LintFailed:
        raise
    except Exception as exc:  # the guard must not be what stops training
        logger.warning("lora-lint: %s failed (%s: %s); training goes on unchecked", what, type(exc).__name__, exc)
        return None


def _any_rank(flag: bool) -> bool:
    """True on every process when it is true on any: all ranks stop or go on together."""
    import torch
    import torch.distributed as dist

    if not (dist.is_available() and dist.is_initialized()) or dist.get_world_size() == 1:
        return flag
    device = torch.device("cuda", torch.cuda.current_device()) if dist.get_backend() == "nccl" else torch.device("cpu")
    value = torch.tensor([int(flag)], device=device)
    dist.all_reduce(value, op=dist.ReduceOp.MAX)
    return bool(value.item())
