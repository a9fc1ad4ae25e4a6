"""LORA602: NaN or Inf in the weights of a saved adapter."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

from lora_lint.findings import Basis, Finding, Severity
from lora_lint.hookspecs import RegisterRule
from lora_lint.plugins import hookimpl
from lora_lint.rules._base import Needs, Rule
from lora_lint.text import shorten
from lora_lint.wording import plural, verb

if TYPE_CHECKING:
    from lora_lint.context import RuleContext


class AdapterNonfinite(Rule):
    """
    ## What it does
    Scans every tensor of a saved adapter (one block at a time) and reports NaN or Inf values,
    naming the tensors and how many bad values each holds.

    ## Why is this bad?
    One non-finite value in `lora_A` or `lora_B` turns the whole output of that layer into NaN as soon
    as the adapter is loaded. It usually comes from an fp16 overflow or a loss spike late in training,
    and the run's last logged loss may not show it.

    ## Example
    ```python
    model.half()                       # fp16 adapter weights, no loss scaling
    trainer.train(); model.save_pretrained("out")   # lora_B overflowed to inf
    ```

    ## Use instead
    ```python
    # keep adapter weights in fp32 and train with autocast (fp16=True / bf16=True in TrainingArguments)
    trainer.train(); model.save_pretrained("out")
    ```
    """

    code = "LORA602"
    name = "adapter-nonfinite"
    severity = Severity.ERROR
    needs = Needs.ARTIFACT
    basis = Basis.WEIGHTS
    hint = "Use an earlier finite checkpoint; train with fp32 adapter weights and a lower learning rate."

    def check(self, ctx: RuleContext) -> Iterator[Finding]:
        for adapter in ctx.artifacts:
            values = adapter.scan.values
            bad = [(t, values[t.saved.key]) for t in adapter.tensors if values[t.saved.key].nan or values[t.saved.key].inf]
            if not bad:
                continue
            shown = shorten(f"{t.saved.name} ({v.nan} NaN, {v.inf} Inf)" for t, v in bad)
            yield self.finding(
                ctx,
                f"{plural(len(bad), 'tensor')} of adapter {adapter.name!r} {verb(len(bad), 'holds')} NaN/Inf: {shown}; "
                "every output of these layers becomes NaN once the adapter is loaded",
                adapter=adapter.name,
                parameter=bad[0][0].saved.name,
                file=adapter.file,
                evidence={t.saved.name: {"nan": v.nan, "inf": v.inf} for t, v in bad},
            )


@hookimpl
def lora_lint_register_rules(register: RegisterRule) -> None:
    register(AdapterNonfinite)
