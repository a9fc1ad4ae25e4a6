"""LORA403: NaN or Inf in the probe's loss, outputs or gradients, and the weights that hold it."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import TYPE_CHECKING

from lora_lint.findings import Basis, Finding, Severity
from lora_lint.hookspecs import RegisterRule
from lora_lint.plugins import hookimpl
from lora_lint.rules._base import Needs, Rule
from lora_lint.text import shorten
from lora_lint.wording import plural

if TYPE_CHECKING:
    from lora_lint.context import RuleContext


def _some(names: Sequence[str], limit: int = 3) -> str:
    return shorten(names, limit)


class Nonfinite(Rule):
    """
    ## What it does
    Reports NaN or Inf in the probe's loss, in the model's floating-point outputs or in any
    gradient, and then names the weights that hold NaN/Inf, if any do.

    ## Why is this bad?
    One non-finite value spreads to every weight the optimizer touches on the first step; the
    run either crashes later or trains on garbage (AMP's scaler silently skips every step).

    ## Example
    ```python
    model = get_peft_model(base, config)
    base.model.layers[0].mlp.up_proj.weight.data[0, 0] = float("nan")  # e.g. a corrupted checkpoint
    ```

    ## Use instead
    ```python
    model = get_peft_model(AutoModelForCausalLM.from_pretrained(intact_checkpoint), config)
    ```
    """

    code = "LORA403"
    name = "nonfinite"
    severity = Severity.ERROR
    needs = Needs.PROBE
    basis = Basis.PROBE
    training_only = True
    hint = "Look for overflow: fp16 without loss scaling, a diverged checkpoint, log or division by zero in the loss."

    def check(self, ctx: RuleContext) -> Iterator[Finding]:
        probe = ctx.probe
        if probe is None or not probe.loss_computed:
            return
        parts: list[str] = []
        if probe.nonfinite_loss:
            parts.append(f"the loss is {probe.loss}")
        if probe.nonfinite_outputs:
            parts.append(f"outputs {_some(probe.nonfinite_outputs)}")
        grads = probe.nonfinite_grads
        if grads:
            parts.append(f"the gradients of {plural(len(grads), 'tensor')} ({_some(grads)})")
        if not parts:
            return
        weights = probe.nonfinite_weights
        message = "NaN/Inf in the probe: " + "; ".join(parts)
        hint = self.hint
        if weights:
            message += f"; these weights already hold NaN/Inf: {_some(weights)}"
            hint = f"Reload or re-initialise {weights[0]}: the checkpoint or an edit left non-finite values in it."
        yield self.finding(
            ctx,
            message + "; the first optimizer step would spread them to every trained weight",
            parameter=weights[0] if weights else (grads[0] if grads else None),
            hint=hint,
            evidence={
                "loss": probe.loss if not probe.nonfinite_loss else str(probe.loss),  # JSON has no NaN
                "outputs": list(probe.nonfinite_outputs),
                "gradients": list(grads),
                "weights": list(weights),
            },
        )


@hookimpl
def lora_lint_register_rules(register: RegisterRule) -> None:
    register(Nonfinite)
