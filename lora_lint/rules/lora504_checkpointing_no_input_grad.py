"""LORA504: reentrant activation checkpointing with frozen input embeddings and no input-grad hook."""

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


class CheckpointingNoInputGrad(Rule):
    """
    ## What it does
    Reports a model where activation (gradient) checkpointing is on in its reentrant form, the input
    embeddings are frozen, no input-grad forward hook is registered on them
    (`enable_input_require_grads`), and trainable adapter layers run inside the checkpointed blocks.
    Reads both transformers 4.x (`gradient_checkpointing_enable`) and 5.x
    (`activation_checkpointing_enable`) setups; an unset `use_reentrant` counts as reentrant, which is
    what torch then runs. The probe confirms it with LORA401.

    ## Why is this bad?
    Reentrant checkpointing only builds a backward graph for a block when one of its *inputs*
    requires grad. With frozen embeddings no hidden state does, so every adapter inside a
    checkpointed block gets no gradient: the loss may still fall (a trainable head), but the
    adapters never train. transformers 4.x defaults to `use_reentrant=True` and peft only adds the
    hook when checkpointing is already on at `get_peft_model`; transformers 5.x adds it itself only
    for text models (`main_input_name == "input_ids"`), so vision models (ViT) are exposed.

    ## Example
    ```python
    model = get_peft_model(vit, LoraConfig(target_modules=["q_proj", "v_proj"], modules_to_save=["classifier"]))
    model.gradient_checkpointing_enable(gradient_checkpointing_kwargs={"use_reentrant": True})
    ```

    ## Use instead
    ```python
    model.gradient_checkpointing_enable(gradient_checkpointing_kwargs={"use_reentrant": False})
    # or keep reentrant checkpointing and call:
    model.enable_input_require_grads()
    ```
    """

    code = "LORA504"
    name = "checkpointing-no-input-grad"
    severity = Severity.WARNING
    needs = Needs.MODEL
    basis = Basis.STRUCTURE
    training_only = True
    hint = (
        "Pass gradient_checkpointing_kwargs={'use_reentrant': False}, or call model.enable_input_require_grads() "
        "after enabling checkpointing (for a k-bit base: prepare_model_for_kbit_training before get_peft_model)."
    )

    def check(self, ctx: RuleContext) -> Iterator[Finding]:
        training = ctx.training
        ckpt, inputs = training.checkpointing, training.input_grads
        if not ckpt.enabled or ckpt.reentrant is not True or inputs.ok:
            return
        inside = [
            layer.path
            for layer in ctx.layers
            if ckpt.covers(layer.path) and any(s.a_requires_grad or s.b_requires_grad for s in layer.adapters)
        ]
        if not inside:
            return
        if inputs.other_hooks:
            ctx.note(
                f"{self.code} not reported: reentrant checkpointing is on with frozen input embeddings, but "
                f"{plural(inputs.other_hooks, 'unrecognised forward hook')} on them may make inputs require grad",
                self.code,
            )
            return
        message = (
            f"reentrant activation checkpointing ({ckpt.reentrant_source}) is on, and the input embeddings "
            f"{', '.join(inputs.embeddings)} are frozen with no input-grad hook: the adapter layers inside "
            f"checkpointed blocks ({shorten(inside, 1)}) get no gradient and never train"
        )
        yield self.finding(
            ctx,
            message,
            module=inside[0],
            evidence={
                "checkpointed": list(ckpt.modules),
                "reentrant_source": ckpt.reentrant_source,
                "embeddings": list(inputs.embeddings),
                "adapter_layers": inside,
            },
        )


@hookimpl
def lora_lint_register_rules(register: RegisterRule) -> None:
    register(CheckpointingNoInputGrad)
