"""LORA202: the adapter meant to train has requires_grad=False, with the likely cause."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

from lora_lint.findings import Basis, Finding, Severity
from lora_lint.hookspecs import RegisterRule
from lora_lint.plugins import hookimpl
from lora_lint.rules._base import Needs, Rule

if TYPE_CHECKING:
    from lora_lint.context import RuleContext
    from lora_lint.facts.layers import AdapterSlot


class AdapterFrozen(Rule):
    """
    ## What it does
    Reports an active adapter whose LoRA weights have `requires_grad=False`, with the likely cause.
    The causes named are `PeftModel.from_pretrained`/`load_adapter` without `is_trainable=True`, a
    reused config with `inference_mode=True`, and `prepare_model_for_kbit_training` called after
    `get_peft_model` (it freezes every parameter). Also reports `lora_B` frozen while `lora_A` trains from a zero
    `lora_B` (`lora_A` then gets zero gradient). Skipped with `intent="inference"`.

    ## Why is this bad?
    The optimizer gets nothing to update (or the Trainer stops with "no trainable parameters"):
    the run burns compute and the adapter you save is the one you loaded, or a no-op.

    ## Example
    ```python
    model = PeftModel.from_pretrained(base, "my-adapter")   # loaded for inference
    trainer = Trainer(model=model, ...)
    ```

    ## Use instead
    ```python
    model = PeftModel.from_pretrained(base, "my-adapter", is_trainable=True)
    ```
    """

    code = "LORA202"
    name = "adapter-frozen"
    severity = Severity.ERROR
    needs = Needs.MODEL
    basis = Basis.STRUCTURE
    training_only = True
    hint = "Make the adapter trainable: model.set_adapter(name) sets requires_grad on the active adapter."

    def check(self, ctx: RuleContext) -> Iterator[Finding]:
        facts = ctx.params
        active = ctx.layers.active_adapter_names or ctx.model.active_adapters or ctx.layers.adapter_names
        if set(facts.trainable_adapters) - set(active):
            return  # a trainable adapter is not active: LORA204 names that root cause
        for adapter in active:
            # disabled or merged layers bypass the adapter whatever requires_grad says: LORA204's finding
            slots = [
                s
                for layer in ctx.layers
                if not layer.disabled and adapter not in layer.merged_adapters
                for s in layer.adapters
                if s.adapter == adapter
            ]
            frozen = [s for s in slots if not s.a_requires_grad and not s.b_requires_grad]
            if frozen:
                yield self._frozen(ctx, adapter, frozen, len(slots))
                continue
            b_frozen = [s for s in slots if s.a_requires_grad and not s.b_requires_grad and s.b_is_zero]
            if b_frozen:
                yield self.finding(
                    ctx,
                    f"lora_B of adapter {adapter!r} is frozen on {len(b_frozen)} of {len(slots)} layers "
                    f"(e.g. {b_frozen[0].layer}) while lora_A trains: with lora_B all zero, lora_A gets zero "
                    "gradient and the adapter stays a no-op",
                    module=b_frozen[0].layer,
                    parameter=b_frozen[0].b_param,
                    adapter=adapter,
                    hint="Train lora_B (freeze lora_A instead if you want LoRA-FA).",
                    evidence={"layers": [s.layer for s in b_frozen]},
                )

    def _frozen(self, ctx: RuleContext, adapter: str, frozen: list[AdapterSlot], total: int) -> Finding:
        facts = ctx.params
        config = ctx.model.configs.get(adapter)
        # trained weights, or the eval mode PeftModel.from_pretrained leaves behind, say it was loaded
        loaded = any(s.b_is_zero is False for s in frozen) or (ctx.model.is_peft_model and not facts.training)
        if getattr(config, "inference_mode", False):
            if loaded:
                cause = (
                    "it was loaded with PeftModel.from_pretrained(...) or load_adapter(...) without "
                    "is_trainable=True (its config has inference_mode=True)"
                )
                hint = (
                    "Load it with PeftModel.from_pretrained(base, path, is_trainable=True) (or load_adapter(..., "
                    'is_trainable=True)); if it is meant for inference, lint with intent="inference".'
                )
            else:
                cause = (
                    "its LoraConfig has inference_mode=True (a config reused from a saved adapter keeps it; "
                    "PeftModel.from_pretrained without is_trainable=True sets it too)"
                )
                hint = "Set inference_mode=False on the LoraConfig before get_peft_model (or load with is_trainable=True)."
        elif not facts.trainable and (facts.quantized or ctx.training.input_grads.hooked):
            cause = (
                "prepare_model_for_kbit_training was called after get_peft_model: it freezes every parameter, "
                "the adapter included"
            )
            hint = "Call prepare_model_for_kbit_training(base) before get_peft_model(base, config)."
        elif not facts.trainable:
            cause = "every parameter was frozen after wrapping (model.requires_grad_(False) or a freeze loop)"
            hint = "Freeze the base before get_peft_model, or call model.set_adapter(name) to re-enable the adapter."
        else:
            cause = "requires_grad was set to False on these LoRA weights after wrapping"
            hint = self.hint
        layers = sorted({s.layer.rsplit(".", 1)[-1] for s in frozen})
        copies = [p for p in facts.params if p.role == "modules_to_save" and p.adapter == adapter and not p.requires_grad]
        extra = f" (and its {len(copies)} modules_to_save tensors)" if copies else ""
        return self.finding(
            ctx,
            f"adapter {adapter!r} is frozen on {len(frozen)} of {total} LoRA layers ({', '.join(layers)}){extra}: "
            f"training updates nothing of it; likely cause: {cause}",
            module=frozen[0].layer,
            parameter=frozen[0].a_param,
            adapter=adapter,
            hint=hint,
            evidence={"frozen_layers": [s.layer for s in frozen], "loaded_weights": loaded, "cause": cause},
        )


@hookimpl
def lora_lint_register_rules(register: RegisterRule) -> None:
    register(AdapterFrozen)
