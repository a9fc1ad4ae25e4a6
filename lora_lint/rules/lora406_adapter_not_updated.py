"""LORA406: after the first optimizer step with a learning rate, adapter layers whose weights did not change."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

from lora_lint.findings import Basis, Finding, Severity
from lora_lint.hookspecs import RegisterRule
from lora_lint.plugins import hookimpl
from lora_lint.rules._base import Needs, Rule
from lora_lint.text import shorten

if TYPE_CHECKING:
    from lora_lint.context import RuleContext
    from lora_lint.facts.first_step import StaleLayer

_SHOW = 3


class AdapterNotUpdated(Rule):
    """
    ## What it does
    Reports adapter layers whose trainable weights did not change in the first optimizer step that
    had a learning rate above zero. It runs inside a guarded training run (`LoraLintCallback`) or
    `assert_trainer_learns`, which fingerprint the weights before that step and compare after it.
    A warmup that starts at learning rate 0 is not checked until a step has a learning rate.

    ## Why is this bad?
    The probe proves gradients reach the adapters; this proves the optimizer uses them. A param
    group whose learning rate is 0, an optimizer built over parameters that are no longer the
    model's, or gradients zeroed between the backward pass and the step all leave the adapter at
    its initialisation while the loss still moves (through whatever else trains) or stays flat.

    ## Example
    ```python
    optimizer = torch.optim.AdamW([
        {"params": [p for n, p in model.named_parameters() if "lora_B" in n], "lr": 0.0},
        {"params": [p for n, p in model.named_parameters() if "lora_A" in n], "lr": 2e-4},
    ])
    ```

    ## Use instead
    ```python
    optimizer = torch.optim.AdamW([p for p in model.parameters() if p.requires_grad], lr=2e-4)
    ```
    """

    code = "LORA406"
    name = "adapter-not-updated"
    severity = Severity.ERROR
    needs = Needs.MODEL
    basis = Basis.WEIGHTS
    training_only = True
    hint = (
        "Give every adapter weight a param group with lr > 0, build the optimizer from the model being trained, "
        "and do not zero gradients between backward() and optimizer.step()."
    )

    def check(self, ctx: RuleContext) -> Iterator[Finding]:
        step = ctx.first_step
        if step is None or not step.stale:
            return
        stale = step.stale
        adapters = sorted({s.adapter for s in stale})
        yield self.finding(
            ctx,
            f"{len(stale)} of {step.layers} adapter layers did not change in optimizer step {step.step} "
            f"(e.g. {shorten((s.module for s in stale), _SHOW)}): {_cause(stale[0])}",
            module=stale[0].module,
            adapter=adapters[0] if len(adapters) == 1 else None,
            evidence={
                "step": step.step,
                "group_lr": list(step.rates),
                "stale": [{"module": s.module, "adapter": s.adapter, "lr": s.lr, "had_grad": s.had_grad} for s in stale],
            },
        )


def _cause(layer: StaleLayer) -> str:
    if layer.lr is None:
        return "no optimizer param group holds its weights (an optimizer over stale parameters?)"
    if layer.lr <= 0:
        return "the param group holding its weights has learning rate 0"
    if not layer.had_grad:
        return f"its weights had no gradient at the step (lr {layer.lr:g}; gradients zeroed before the step?)"
    return f"its weights had gradient and lr {layer.lr:g} but the step left them as they were"


@hookimpl
def lora_lint_register_rules(register: RegisterRule) -> None:
    register(AdapterNotUpdated)
