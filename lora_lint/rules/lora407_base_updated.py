"""LORA407: the first optimizer step with a learning rate changed a base parameter no config field declares trainable."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

from lora_lint.findings import Basis, Finding, Severity
from lora_lint.hookspecs import RegisterRule
from lora_lint.plugins import hookimpl
from lora_lint.rules._base import Needs, Rule
from lora_lint.text import shorten
from lora_lint.wording import plural

if TYPE_CHECKING:
    from lora_lint.context import RuleContext

_SHOW = 3


class BaseUpdated(Rule):
    """
    ## What it does
    Reports base-model parameters whose values changed in the first optimizer step that had a
    learning rate above zero although no config field (`modules_to_save`, `bias`,
    `trainable_token_indices`) declares them trainable. It runs inside a guarded training run
    (`LoraLintCallback`) or `assert_trainer_learns`, which fingerprint the weights before the step.

    ## Why is this bad?
    A LoRA run is meant to leave the base as it was: the saved adapter holds only the adapter's
    weights, so every change to the base is lost when the adapter is loaded on a fresh base, and
    the run trains (and stores optimizer state for) far more parameters than intended. The usual
    cause is a base left unfrozen before wrapping, or a parameter unfrozen by hand after it.

    ## Example
    ```python
    model = get_peft_model(base, config)
    model.base_model.model.lm_head.weight.requires_grad_(True)
    ```

    ## Use instead
    ```python
    config = LoraConfig(..., modules_to_save=["lm_head"])
    model = get_peft_model(base, config)
    ```
    """

    code = "LORA407"
    name = "base-updated"
    severity = Severity.ERROR
    needs = Needs.MODEL
    basis = Basis.WEIGHTS
    training_only = True
    hint = "Freeze the base before get_peft_model, or declare what should train in modules_to_save."

    def check(self, ctx: RuleContext) -> Iterator[Finding]:
        step = ctx.first_step
        if step is None or not step.changed_base:
            return
        changed = step.changed_base
        yield self.finding(
            ctx,
            f"optimizer step {step.step} changed {plural(len(changed), 'base parameter')} no config field declares trainable "
            f"(e.g. {shorten(changed, _SHOW)}): the saved adapter will not hold these changes",
            parameter=changed[0],
            evidence={"step": step.step, "changed_base": list(changed)},
        )


@hookimpl
def lora_lint_register_rules(register: RegisterRule) -> None:
    register(BaseUpdated)
