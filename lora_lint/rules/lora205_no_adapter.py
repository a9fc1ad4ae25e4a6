"""LORA205: the model handed to training holds no LoRA layers at all."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

from lora_lint.findings import Basis, Finding, Severity
from lora_lint.hookspecs import RegisterRule
from lora_lint.plugins import hookimpl
from lora_lint.rules._base import Needs, Rule

if TYPE_CHECKING:
    from lora_lint.context import RuleContext


class NoAdapter(Rule):
    """
    ## What it does
    Reports a model that holds no LoRA layer at all. Typically it is the plain model returned by
    `merge_and_unload()` or `unload()`, or the base model passed where the wrapped one was meant.

    ## Why is this bad?
    There is no adapter to train or save. Depending on `requires_grad`, training either changes
    nothing or fine-tunes the whole model, and `save_pretrained` writes a full checkpoint
    instead of an adapter.

    ## Example
    ```python
    model = get_peft_model(base, config)
    model = model.merge_and_unload()       # a plain transformers model again
    trainer = Trainer(model=model, ...)
    ```

    ## Use instead
    ```python
    model = get_peft_model(base, config)
    trainer = Trainer(model=model, ...)
    trainer.train()
    merged = model.merge_and_unload()      # only after training, for export
    ```
    """

    code = "LORA205"
    name = "no-adapter"
    severity = Severity.ERROR
    needs = Needs.MODEL
    basis = Basis.STRUCTURE
    hint = "Train the model returned by get_peft_model(base, config); merge_and_unload() only after training."

    def check(self, ctx: RuleContext) -> Iterator[Finding]:
        if len(ctx.layers):
            return
        facts = ctx.params
        other = [m for m in facts.peft_methods if m != "LORA"]
        if facts.adapter_params() or other:
            method = ", ".join(other) or "a PEFT method other than LoRA"
            ctx.note(f"the model uses {method}, not LoRA: LoRA checks do not apply", self.code)
            return
        total = sum(p.numel for p in facts.params)
        trainable = sum(p.numel for p in facts.trainable)
        arch = ctx.model.architecture or "the model"
        if trainable == 0:
            outcome = "no parameter requires grad, so training changes nothing"
        elif trainable == total:
            outcome = f"all {total:,} parameters require grad, so training is full fine-tuning"
        else:
            outcome = f"{trainable:,} of {total:,} parameters require grad and train without any adapter"
        yield self.finding(
            ctx,
            f"{arch} holds no LoRA layers (the output of merge_and_unload()/unload(), or the base model before "
            f"get_peft_model?): {outcome}, and save_pretrained writes a full model, not an adapter",
            evidence={"parameters": total, "trainable": trainable},
        )


@hookimpl
def lora_lint_register_rules(register: RegisterRule) -> None:
    register(NoAdapter)
