"""LORA303: a layer's live scaling disagrees with its config (alpha or r edited after the adapter was built)."""

from __future__ import annotations

import math
from collections.abc import Iterator
from typing import TYPE_CHECKING

from lora_lint.facts.scales import fmt_scale, formula
from lora_lint.findings import Basis, Finding, Severity
from lora_lint.hookspecs import RegisterRule
from lora_lint.plugins import hookimpl
from lora_lint.rules._base import Needs, Rule
from lora_lint.text import shorten

if TYPE_CHECKING:
    from lora_lint.context import RuleContext


class ScalingDrift(Rule):
    """
    ## What it does
    Compares every LoRA layer's live `scaling[adapter]` with the scale its config gives that layer
    (peft's formula: `lora_alpha / r`, `/ sqrt(r)` with `use_rslora`, `rank_pattern`/`alpha_pattern`
    per layer), and reports the layers where they differ, grouped by the two scales.

    ## Why is this bad?
    peft reads `lora_alpha` and `r` once, when it builds the layer. Editing them later on
    `model.peft_config[...]` changes nothing in training, but `save_pretrained` writes the edited
    config: whoever loads the adapter gets another scale than the one it was trained with, and the
    model behaves differently after loading. Editing `scaling` on a layer does the reverse.

    ## Example
    ```python
    model = get_peft_model(base, LoraConfig(r=8, lora_alpha=16))
    model.peft_config["default"].lora_alpha = 32   # layers still use 16 / 8 = 2.0
    ```

    ## Use instead
    ```python
    model = get_peft_model(base, LoraConfig(r=8, lora_alpha=32))  # decide before building
    ```

    ## References
    - peft `LoraLayer.update_layer`, `LoraLayer.set_scale`
    """

    code = "LORA303"
    name = "scaling-drift"
    severity = Severity.ERROR
    needs = Needs.CONFIG | Needs.MODEL
    basis = Basis.STRUCTURE
    hint = (
        "Build the adapter with the alpha and r you want (get_peft_model with a new LoraConfig); "
        "do not edit peft_config afterwards."
    )

    def check(self, ctx: RuleContext) -> Iterator[Finding]:
        groups: dict[tuple[str, float, float], list[tuple[str, str, str]]] = {}
        for layer in ctx.layers:
            for slot in layer.adapters:
                want = ctx.layer_scales.get((slot.adapter, layer.key))
                if want is None or slot.scaling is None:
                    continue
                expected = want.scale
                if expected is None or math.isclose(slot.scaling, expected, rel_tol=1e-6, abs_tol=1e-12):
                    continue
                live_formula = formula(slot.alpha, slot.r, slot.use_rslora)
                key = (slot.adapter, slot.scaling, expected)
                groups.setdefault(key, []).append((layer.path, live_formula, want.formula))
        for (adapter, live, expected), rows in groups.items():
            path, live_formula, config_formula = rows[0]
            where = shorten([row[0] for row in rows], 1, unit=" layers")
            explained = live_formula != config_formula
            live_text = f"{fmt_scale(live)} ({live_formula})" if explained else fmt_scale(live)
            message = (
                f"{where} train with scaling {live_text} but peft_config[{adapter!r}] gives "
                f"{fmt_scale(expected)} ({config_formula}): the saved adapter will load with "
                f"{fmt_scale(expected)}, not the {fmt_scale(live)} it was trained with"
            )
            yield self.finding(
                ctx,
                message,
                module=path,
                adapter=adapter,
                hint=self.hint
                + " If the scale was changed on purpose (set_scale, rescale_adapter_scale), restore it before saving.",
                evidence={
                    "live_scaling": live,
                    "config_scaling": expected,
                    "live": live_formula,
                    "config": config_formula,
                    "modules": [r[0] for r in rows],
                },
            )


@hookimpl
def lora_lint_register_rules(register: RegisterRule) -> None:
    register(ScalingDrift)
