"""LORA307: lora_dropout so high that the adapter path is zeroed (>= 1) or mostly dropped in training."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

from lora_lint.facts.scales import config_file, num
from lora_lint.findings import Basis, Finding, Severity
from lora_lint.hookspecs import RegisterRule
from lora_lint.plugins import hookimpl
from lora_lint.rules._base import Needs, Rule

if TYPE_CHECKING:
    from lora_lint.context import RuleContext


class DropoutKillsAdapter(Rule):
    """
    ## What it does
    Reports `lora_dropout >= 1` as an error and `lora_dropout` above a threshold (default 0.5) as
    a warning, per adapter config.

    ## Why is this bad?
    peft applies `lora_dropout` to the adapter's input (`B @ A @ dropout(x)`). At `p = 1` every
    input is zeroed in training mode: the adapter's output and its gradients are zero and it never
    trains, while evaluation (dropout off) shows an untrained adapter. Large values short of 1 throw
    away most of the signal each step and make the adapter learn slowly and noisily.

    ## Example
    ```python
    LoraConfig(r=8, lora_alpha=16, lora_dropout=1.0)
    ```

    ## Use instead
    ```python
    LoraConfig(r=8, lora_alpha=16, lora_dropout=0.05)
    ```

    ## Options
    `dropout-warn` in `[tool.lora-lint]` (default 0.5): warn above this value.
    """

    code = "LORA307"
    name = "dropout-kills-adapter"
    severity = Severity.ERROR
    needs = Needs.CONFIG
    basis = Basis.CONFIG
    training_only = True
    hint = "Use a small lora_dropout (0.0 to 0.1 is usual)."

    def check(self, ctx: RuleContext) -> Iterator[Finding]:
        warn = ctx.settings.dropout_warn
        for adapter, config in ctx.model.configs.items():
            p = getattr(config, "lora_dropout", None)
            if p is None:
                continue
            p = float(p)
            setting = f"lora_dropout: {p}"
            if p >= 1:
                yield self.finding(
                    ctx,
                    f"lora_dropout {p} for adapter {adapter!r} zeroes the adapter's input in training: its "
                    "output and gradients are zero, so lora_A and lora_B never train",
                    adapter=adapter,
                    setting=setting,
                    file=config_file(ctx.setup, adapter),
                    evidence={"lora_dropout": p},
                )
            elif p > warn:
                yield self.finding(
                    ctx,
                    f"lora_dropout {p} for adapter {adapter!r} drops {round(p * 100)}% of the adapter's input "
                    f"each training step (above {num(warn)}): the adapter learns slowly and noisily",
                    adapter=adapter,
                    setting=setting,
                    file=config_file(ctx.setup, adapter),
                    severity=Severity.WARNING,
                    evidence={"lora_dropout": p, "threshold": warn},
                )


@hookimpl
def lora_lint_register_rules(register: RegisterRule) -> None:
    register(DropoutKillsAdapter)
