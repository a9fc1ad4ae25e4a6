"""LORA501: trainable adapter weights are float16 or bfloat16."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

from lora_lint.findings import Basis, Finding, Severity
from lora_lint.hookspecs import RegisterRule
from lora_lint.plugins import hookimpl
from lora_lint.rules._base import Needs, Rule
from lora_lint.text import shorten

if TYPE_CHECKING:
    from lora_lint.context import RuleContext
    from lora_lint.facts.layers import AdapterSlot

_HALF = ("float16", "bfloat16")


class AdapterLowPrecision(Rule):
    """
    ## What it does
    Reports trainable LoRA weights (`lora_A`/`lora_B`, embedding adapters) stored in float16 or
    bfloat16, grouped by adapter and dtype. peft keeps new adapters in float32 even on a half-precision
    base (`autocast_adapter_dtype=True`); they end up in half precision when the *wrapped* model is
    cast afterwards, e.g. `model.half()` or `model.to(torch.bfloat16)`.

    ## Why is this bad?
    With fp16 mixed precision (`fp16=True`, `torch.amp.GradScaler`) the optimizer step fails with
    "Attempting to unscale FP16 gradients". With bf16 weights the optimizer adds updates of size
    `lr * grad` to numbers with 8 bits of mantissa: small updates round away and training stalls.
    Adam's state in half precision loses the same way.

    ## Example
    ```python
    model = get_peft_model(base, config)
    model.half()
    ```

    ## Use instead
    ```python
    base.half()                          # cast the base first,
    model = get_peft_model(base, config) # peft keeps the adapter in float32
    ```
    """

    code = "LORA501"
    name = "adapter-low-precision"
    severity = Severity.WARNING
    needs = Needs.MODEL
    basis = Basis.STRUCTURE
    training_only = True
    hint = (
        "Keep trainable adapter weights in float32: cast the base before get_peft_model, or upcast them with "
        "`for p in model.parameters(): p.data = p.data.float() if p.requires_grad else p.data`."
    )

    def check(self, ctx: RuleContext) -> Iterator[Finding]:
        groups: dict[tuple[str, str], list[AdapterSlot]] = {}
        for slot in ctx.layers.slots():
            if slot.dtype in _HALF and (slot.a_requires_grad or slot.b_requires_grad):
                groups.setdefault((slot.adapter, slot.dtype), []).append(slot)
        for (adapter, dtype), slots in groups.items():
            first = slots[0]
            where = shorten([s.a_param or s.layer for s in slots], 1, unit=" layers")
            effect = (
                "fp16 mixed precision cannot unscale their gradients ('Attempting to unscale FP16 gradients')"
                if dtype == "float16"
                else "optimizer updates smaller than bfloat16's precision round away and training stalls"
            )
            yield self.finding(
                ctx,
                f"trainable adapter weights of adapter {adapter!r} are {dtype} ({where}): "
                f"{effect}",
                parameter=first.a_param,
                module=first.layer,
                adapter=adapter,
                evidence={"dtype": dtype, "layers": [s.layer for s in slots]},
            )


@hookimpl
def lora_lint_register_rules(register: RegisterRule) -> None:
    register(AdapterLowPrecision)
