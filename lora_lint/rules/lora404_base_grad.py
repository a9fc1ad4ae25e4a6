"""LORA404: base parameters that no config field declares trainable received gradient in the probe."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

from lora_lint.findings import Basis, Finding, Severity
from lora_lint.hookspecs import RegisterRule
from lora_lint.plugins import hookimpl
from lora_lint.probe.result import GradKind
from lora_lint.rules._base import Needs, Rule
from lora_lint.text import shorten

if TYPE_CHECKING:
    from lora_lint.context import RuleContext


class BaseGrad(Rule):
    """
    ## What it does
    Reports base-model parameters that received gradient in the probe's backward pass although no
    config field (`modules_to_save`, `bias`, `trainable_token_indices`) declares them trainable:
    the optimizer will update weights that were meant to stay frozen.

    ## Why is this bad?
    The run silently turns into partial full fine-tuning: memory and optimizer state grow, the
    base drifts, and the saved adapter does not hold these updates, so the trained behaviour is
    lost when the adapter is loaded onto the original base.

    ## Example
    ```python
    model = get_peft_model(base, LoraConfig(target_modules=["q_proj", "v_proj"]))
    model.base_model.model.lm_head.weight.requires_grad = True
    ```

    ## Use instead
    ```python
    model = get_peft_model(base, LoraConfig(target_modules=["q_proj", "v_proj"], modules_to_save=["lm_head"]))
    ```
    """

    code = "LORA404"
    name = "base-grad"
    severity = Severity.ERROR
    needs = Needs.PROBE
    basis = Basis.PROBE
    training_only = True
    hint = "Leave base weights frozen, or declare them (modules_to_save, bias) so that peft saves what trains."

    def check(self, ctx: RuleContext) -> Iterator[Finding]:
        probe = ctx.probe
        if probe is None or not probe.params:
            return
        leaked = {p.name: p for p in ctx.params.leaked}
        hit = [(p.name, leaked[p.name]) for p in probe.params if p.name in leaked and p.grad.kind is not GradKind.NONE]
        if not hit:
            return
        numel = sum(fact.numel for _, fact in hit)
        modules = list(dict.fromkeys(fact.module for _, fact in hit))
        if len(hit) == 1:
            what = f"base parameter {hit[0][0]} ({numel:,} values) is not declared trainable, yet it received gradient"
        else:
            shown = shorten(name for name, _ in hit)
            what = f"{len(hit)} base parameters not declared trainable received gradient ({numel:,} values: {shown})"
        yield self.finding(
            ctx,
            f"{what}; the optimizer will update them, and the saved adapter will not contain the change",
            module=modules[0] if len(modules) == 1 else None,
            parameter=hit[0][0],
            evidence={"parameters": [name for name, _ in hit], "modules": modules, "numel": numel},
        )


@hookimpl
def lora_lint_register_rules(register: RegisterRule) -> None:
    register(BaseGrad)
