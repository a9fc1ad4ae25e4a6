"""LORA204: the adapter is disabled, merged, or not the active one, so the forward pass bypasses it."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

from lora_lint.findings import Basis, Finding, Severity
from lora_lint.hookspecs import RegisterRule
from lora_lint.plugins import hookimpl
from lora_lint.rules._base import Needs, Rule

if TYPE_CHECKING:
    from lora_lint.context import RuleContext


class AdapterInactive(Rule):
    """
    ## What it does
    Reports adapters that the forward pass bypasses: disabled, merged or not active. That is LoRA
    layers disabled (`with model.disable_adapter():`, `disable_adapter_layers()`), adapters merged
    into the base weights (`merge_adapter()`), and trainable adapters that are not active (a second
    adapter added or loaded with `is_trainable=True` but never `set_adapter`). With
    `intent="inference"` a merged adapter is fine.

    ## Why is this bad?
    A disabled or merged LoRA layer runs only its base layer: the LoRA weights get no gradient and
    training changes nothing you will save. An inactive adapter is not in the forward pass at
    all: the run trains the active one instead, and you save the one you did not train.

    ## Example
    ```python
    model.load_adapter("sft-adapter", adapter_name="sft", is_trainable=True)
    trainer.train()           # still trains "default"
    ```

    ## Use instead
    ```python
    model.load_adapter("sft-adapter", adapter_name="sft", is_trainable=True)
    model.set_adapter("sft")
    ```
    """

    code = "LORA204"
    name = "adapter-inactive"
    severity = Severity.ERROR
    needs = Needs.MODEL
    basis = Basis.STRUCTURE
    hint = "Make the adapter you train the active, enabled, unmerged one."

    def check(self, ctx: RuleContext) -> Iterator[Finding]:
        layers = list(ctx.layers)
        if not layers:
            return
        disabled = [layer for layer in layers if layer.disabled]
        if disabled:
            yield self.finding(
                ctx,
                f"adapters are disabled on {len(disabled)} of {len(layers)} LoRA layers (e.g. {disabled[0].key}): "
                "the forward runs the base layers only, so LoRA gets no gradient (inside `with "
                "model.disable_adapter():` or after disable_adapter_layers()?)",
                module=disabled[0].key,
                hint="Train outside the disable_adapter() context, or call model.enable_adapter_layers().",
                evidence={"layers": [layer.key for layer in disabled]},
            )
        merged = [layer for layer in layers if layer.merged_adapters]
        if merged and ctx.settings.intent != "inference":
            names = sorted({a for layer in merged for a in layer.merged_adapters})
            yield self.finding(
                ctx,
                f"adapter {', '.join(map(repr, names))} is merged into the base weights on {len(merged)} of "
                f"{len(layers)} LoRA layers (e.g. {merged[0].key}, after merge_adapter()): merged layers skip the "
                "LoRA path, so its weights get no gradient and training leaves the adapter as it is",
                module=merged[0].key,
                adapter=names[0],
                hint="Call model.unmerge_adapter() before training; merge only for inference.",
                evidence={"layers": [layer.key for layer in merged], "adapters": names},
            )
        # the layers run the forward, so their own active adapters count, not the model-level field
        active = set(ctx.layers.active_adapter_names) or set(ctx.model.active_adapters)
        for adapter in ctx.params.trainable_adapters:
            if adapter in active:
                continue
            on = [s for s in ctx.layers.slots(adapter) if s.trainable]
            running = ", ".join(map(repr, sorted(active))) or "none"
            yield self.finding(
                ctx,
                f"adapter {adapter!r} is trainable on {len(on)} LoRA layers but not active (active: {running}): "
                f"the forward pass uses {running} instead, so {adapter!r} gets no gradient",
                module=on[0].layer if on else None,
                parameter=on[0].a_param if on else None,
                adapter=adapter,
                hint=f"Call model.set_adapter({adapter!r}) before training (or freeze {adapter!r} if it is not meant "
                "to train).",
                evidence={"adapter": adapter, "active": sorted(active)},
            )


@hookimpl
def lora_lint_register_rules(register: RegisterRule) -> None:
    register(AdapterInactive)
