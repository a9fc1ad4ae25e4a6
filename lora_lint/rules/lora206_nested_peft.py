"""LORA206: a PEFT model wrapped inside another, or LoRA layers the model's own config did not build."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

from lora_lint.findings import Basis, Finding, Severity
from lora_lint.hookspecs import RegisterRule
from lora_lint.plugins import hookimpl
from lora_lint.rules._base import Needs, Rule

if TYPE_CHECKING:
    from lora_lint.context import RuleContext


class NestedPeft(Rule):
    """
    ## What it does
    Reports a PEFT model wrapped inside another, or LoRA layers that no config of the model built.
    That is a `PeftModel` (or peft tuner) inside another one, a LoRA layer wrapping a LoRA layer,
    and LoRA layers the model's tuner did not create because `get_peft_model` was called on a
    module tree that already held LoRA layers (e.g. on `peft_model.base_model.model`).

    ## Why is this bad?
    The outer config does not describe the inner adapters: they train (or stay frozen) outside of
    what you configured, `print_trainable_parameters` and `save_pretrained` disagree with what
    runs, and saved keys carry a doubled prefix or belong to no config, so loading skips them.

    ## Example
    ```python
    model = get_peft_model(base, config)
    model = get_peft_model(model, other_config)                  # wraps the PeftModel again
    model = get_peft_model(model.base_model.model, other_config) # re-wraps the LoRA layers
    ```

    ## Use instead
    ```python
    model = get_peft_model(base, config)
    model.add_adapter("other", other_config)   # or model.unload() first to start over
    ```
    """

    code = "LORA206"
    name = "nested-peft"
    severity = Severity.ERROR
    needs = Needs.MODEL
    basis = Basis.STRUCTURE
    hint = "Call get_peft_model once on the plain base model; add more adapters with model.add_adapter(name, config)."

    def check(self, ctx: RuleContext) -> Iterator[Finding]:
        facts = ctx.params
        for path in facts.nested:
            if path.endswith(".base_layer"):
                message = (
                    f"the LoRA layer at {path.removesuffix('.base_layer')} wraps another LoRA layer: the inner "
                    "adapter runs inside the outer one's base layer, outside any config you see"
                )
            else:
                message = (
                    f"a PEFT model sits inside another at {path} (get_peft_model called on a PeftModel): the outer "
                    "config does not describe the inner adapter, and saved keys get a doubled prefix that loading "
                    "will not match"
                )
            yield self.finding(ctx, message, module=path, evidence={"path": path})
        if facts.unowned_layers and not facts.nested:
            keys = facts.unowned_layers
            yield self.finding(
                ctx,
                f"{len(keys)} LoRA layers (e.g. {keys[0]}) were not created by this model's get_peft_model: the "
                "module tree already held LoRA layers when it was wrapped again (get_peft_model on "
                "peft_model.base_model.model?), so they train and save outside the config you see",
                module=keys[0],
                hint="Build the model once: get_peft_model on the plain base; call model.unload() first to start "
                "over, or add adapters with model.add_adapter(name, config).",
                evidence={"layers": list(keys)},
            )


@hookimpl
def lora_lint_register_rules(register: RegisterRule) -> None:
    register(NestedPeft)
