"""LORA601: a saved adapter whose lora_B tensors are all zero, so loading it changes nothing."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

from lora_lint.findings import Basis, Finding, Severity
from lora_lint.hookspecs import RegisterRule
from lora_lint.plugins import hookimpl
from lora_lint.rules._base import Needs, Rule

if TYPE_CHECKING:
    from lora_lint.context import RuleContext


class AdapterUntrained(Rule):
    """
    ## What it does
    Reads the saved `lora_B` (and `lora_embedding_B`) tensors of an adapter and reports when all of
    them are exactly zero, naming how many layers that is. When only some layers are zero it names
    those layers (a warning). When a `trainer_state.json` beside the adapter says `global_step` 0,
    the adapter was saved before training on purpose and this is only info.

    ## Why is this bad?
    peft initialises `lora_B` to zero, so `B·A = 0` until an optimizer step moves it. An adapter whose
    `B` is still zero is a no-op: the model behaves exactly like the base. It usually means training
    never stepped (zero learning rate, a frozen adapter, a crashed job that still saved) or the
    gradient never reached the adapter.

    ## Example
    ```python
    model = get_peft_model(base, LoraConfig(r=8, target_modules=["q_proj", "v_proj"]))
    trainer = Trainer(model, args=TrainingArguments(learning_rate=0.0, ...))
    trainer.train(); model.save_pretrained("out")   # every lora_B is still zero
    ```

    ## Use instead
    ```python
    trainer = Trainer(model, args=TrainingArguments(learning_rate=2e-4, ...))
    trainer.train(); model.save_pretrained("out")
    ```
    """

    code = "LORA601"
    name = "adapter-untrained"
    severity = Severity.ERROR
    needs = Needs.ARTIFACT
    basis = Basis.WEIGHTS
    hint = "Check that training stepped (learning rate, trainable adapter, gradient reaching it) and save again."

    def check(self, ctx: RuleContext) -> Iterator[Finding]:
        for adapter in ctx.artifacts:
            values = adapter.scan.values
            b_tensors = [t for t in adapter.factors() if t.saved.role == "B" and t.numel]
            zero = [t for t in b_tensors if values[t.saved.key].zero]
            if not zero:
                continue
            layers = [t.saved.module for t in zero]
            dora = bool(adapter.config.get("use_dora"))
            evidence = {"zero_layers": layers, "layers": len(b_tensors), "global_step": adapter.trainer_step}
            if len(zero) < len(b_tensors):
                yield self.finding(
                    ctx,
                    f"{len(zero)} of {len(b_tensors)} layers of adapter {adapter.name!r} have lora_B all zero "
                    f"(e.g. {layers[0]}): those layers never trained, so they change nothing when loaded",
                    adapter=adapter.name,
                    parameter=zero[0].saved.name,
                    file=adapter.file,
                    severity=Severity.WARNING,
                    hint="Check that gradient reaches these layers (lora-lint check on the training setup runs the probe).",
                    evidence=evidence,
                )
                continue
            message = (
                f"all {len(zero)} lora_B tensors of adapter {adapter.name!r} are zero (every adapted layer): "
                "B·A = 0, so the adapter is a no-op"
            )
            severity = None
            hint = None
            if adapter.trainer_step == 0:
                message += "; trainer_state.json says global_step 0, so it was saved before training"
                severity, hint = Severity.INFO, "Expected for a step-0 checkpoint; later checkpoints must not be zero."
            elif dora:
                message += " (only the DoRA magnitude vectors can have trained)"
                severity = Severity.WARNING
            yield self.finding(
                ctx, message, adapter=adapter.name, file=adapter.file, severity=severity, hint=hint, evidence=evidence
            )


@hookimpl
def lora_lint_register_rules(register: RegisterRule) -> None:
    register(AdapterUntrained)
