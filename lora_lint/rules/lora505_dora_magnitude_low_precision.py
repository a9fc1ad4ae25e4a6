"""LORA505: a trainable DoRA magnitude vector stored in float16 or bfloat16."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

from lora_lint.findings import Basis, Finding, Severity
from lora_lint.hookspecs import RegisterRule
from lora_lint.plugins import hookimpl
from lora_lint.rules._base import Needs, Rule

if TYPE_CHECKING:
    from lora_lint.context import RuleContext


class DoraMagnitudeLowPrecision(Rule):
    """
    ## What it does
    Reports trainable DoRA magnitude vectors (`lora_magnitude_vector`) stored in float16 or bfloat16,
    grouped by adapter and dtype. LORA501 looks at `lora_A`/`lora_B`; trainers and scripts that cast the
    adapter to half precision cast the magnitude with it.

    ## Why is this bad?
    The magnitude holds the weight's column norms, values near 1 whose updates are tiny: bfloat16 has 8
    bits of mantissa (steps of 2⁻⁷ near 1), so `lr · grad` rounds away and the magnitude never moves.
    DoRA then trains as plain LoRA with extra cost.

    ## Example
    ```python
    model = get_peft_model(base, LoraConfig(use_dora=True, target_modules=["q_proj"]))
    model.to(torch.bfloat16)
    ```

    ## Use instead
    ```python
    base.to(torch.bfloat16)
    model = get_peft_model(base, LoraConfig(use_dora=True, target_modules=["q_proj"]))   # adapter stays float32
    ```
    """

    code = "LORA505"
    name = "dora-magnitude-low-precision"
    severity = Severity.ERROR
    needs = Needs.MODEL
    basis = Basis.STRUCTURE
    training_only = True
    hint = "Keep lora_magnitude_vector in float32: cast the base before get_peft_model, or upcast trainable parameters."

    def check(self, ctx: RuleContext) -> Iterator[Finding]:
        groups: dict[tuple[str, str], list[str]] = {}
        for m in ctx.dora.trainable_half():
            groups.setdefault((m.adapter, m.dtype), []).append(m.parameter)
        for (adapter, dtype), params in groups.items():
            more = f" and {len(params) - 1} more" if len(params) > 1 else ""
            yield self.finding(
                ctx,
                f"trainable DoRA magnitudes of adapter {adapter!r} are {dtype} ({params[0]}{more}): their small updates "
                "round away",
                parameter=params[0], adapter=adapter, evidence={"dtype": dtype, "parameters": params},
            )


@hookimpl
def lora_lint_register_rules(register: RegisterRule) -> None:
    register(DoraMagnitudeLowPrecision)
