"""LORA402: the probe loss does not depend on any trainable parameter, or no loss could be computed."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

from lora_lint.findings import Basis, Finding, Severity
from lora_lint.hookspecs import RegisterRule
from lora_lint.plugins import hookimpl
from lora_lint.probe.expect import live_slots
from lora_lint.probe.result import ADAPTER_CAUSES
from lora_lint.rules._base import Needs, Rule

if TYPE_CHECKING:
    from lora_lint.context import RuleContext

_PASS_A_BATCH = "Pass a batch the model accepts: lint(model, batch=...), or return (model, batch) from the factory."


class LossDetached(Rule):
    """
    ## What it does
    Reports when the probe's loss has no autograd history reaching a trainable parameter, when
    the backward pass fails, or when the forward raised on the batch. When lora-lint cannot build
    inputs for the model itself it says so in a note, with how to give a batch.

    ## Why is this bad?
    A loss cut off from the parameters (`.detach()`, `.item()`, a forward run under
    `torch.no_grad()`) trains nothing: `loss.backward()` raises, or a wrapper that skips it logs a
    falling-looking number while every weight stays where it was.

    ## Example
    ```python
    def forward(self, x):
        with torch.no_grad():
            hidden = self.encoder(x)  # the adapted layers live in here
        return self.head_fn(hidden)
    ```

    ## Use instead
    ```python
    def forward(self, x):
        hidden = self.encoder(x)
        return self.head_fn(hidden)
    ```
    """

    code = "LORA402"
    name = "loss-detached"
    severity = Severity.ERROR
    needs = Needs.PROBE
    basis = Basis.PROBE
    training_only = True
    hint = "Compute the loss from the model's outputs with autograd recording; no no_grad(), detach() or item()."

    def check(self, ctx: RuleContext) -> Iterator[Finding]:
        probe = ctx.probe
        live = live_slots(ctx.layers)
        if probe is None or not live:
            return  # nothing is meant to train: LORA202/204/205 say why
        user = ctx.setup.batch is not None
        if probe.failure_stage == "inputs" and not user:
            # lora-lint could not build a batch: nothing is known about the setup, so this is a note, not a finding
            ctx.note(f"gradient flow is unchecked: {probe.failure}. {_PASS_A_BATCH}", self.code)
            return
        if probe.failure_stage in ("inputs", "forward", "loss"):
            yield self.finding(
                ctx,
                f"no loss could be computed, so gradient flow is unchecked: {probe.failure}"
                + (f" (batch {probe.batch})" if probe.batch else ""),
                severity=Severity.ERROR if user else Severity.WARNING,
                hint=_PASS_A_BATCH if not user else "Make the batch match what the forward expects.",
                evidence={"stage": probe.failure_stage, "batch": probe.batch, "batch_source": probe.batch_source},
            )
            return
        if probe.failure_stage == "backward":
            yield self.finding(
                ctx,
                f"the loss ({probe.loss:.4g}) was computed but {probe.failure}; training would fail at the same point",
                hint="Fix the forward so that autograd can differentiate it (no in-place edits of saved tensors).",
                evidence={"stage": "backward", "loss": probe.loss},
            )
            return
        if probe.loss_requires_grad:
            return
        dead = [s for s in probe.slots if (s.layer, s.adapter) in live]
        if dead and all(s.cause in ADAPTER_CAUSES or probe.unreached(s) for s in dead):
            return  # checkpointing or a bypassed adapter cut the graph (LORA401), or the batch missed them
        why = (
            "every adapter layer ran with gradients disabled (torch.no_grad() or inference_mode() in the forward)"
            if dead and all(s.trace.calls and not s.trace.grad_calls for s in dead)
            else "it is cut off from the outputs (.detach(), .item(), a tensor rebuilt from numpy, or a loss "
            "that does not use the model's outputs)"
        )
        yield self.finding(
            ctx,
            f"the probe loss ({probe.loss:.4g}, {probe.loss_source} loss) does not depend on any trainable "
            f"parameter: {why}; loss.backward() raises and no adapter can learn",
            evidence={"loss": probe.loss, "loss_source": probe.loss_source},
        )


@hookimpl
def lora_lint_register_rules(register: RegisterRule) -> None:
    register(LossDetached)
