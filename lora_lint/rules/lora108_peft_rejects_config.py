"""LORA108: peft itself refuses to build the LoRA config on this model; training would stop at start-up."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

from lora_lint.findings import Basis, Finding, Severity
from lora_lint.hookspecs import RegisterRule
from lora_lint.plugins import hookimpl
from lora_lint.rules._base import Needs, Rule

if TYPE_CHECKING:
    from lora_lint.context import RuleContext

#: the LoraConfig field peft's refusal is about -> the fix to suggest
_FIXES = {
    "lora_dropout": (
        "Set lora_dropout=0.0: peft's ParamWrapper (fused MoE expert parameters, reached through "
        "target_parameters or an all-linear / expert-name target on transformers 5) applies no dropout."
    ),
    "r": "Set r to a positive rank (e.g. r=16).",
    "lora_alpha": "Set lora_alpha (commonly twice the rank).",
    "target_modules": "Name the layers to adapt: target_modules=['q_proj', 'v_proj'] (or 'all-linear').",
    "target_parameters": "Name parameters that exist in this model in target_parameters.",
}


class PeftRejectsConfig(Rule):
    """
    ## What it does
    Reports a LoRA config that peft refuses to build on this model: `get_peft_model` raises, so
    training stops before the first step. The finding carries peft's own words and points at the
    setting they are about, in the file it was written in (a LoRA config file, or the key of an
    axolotl / LLaMA-Factory config).

    ## Why is this bad?
    The config looks valid on its own (`LoraConfig(...)` accepts it); the refusal depends on the
    model. Under transformers 5 the experts of Mixtral-style MoE models are fused 3-D parameters,
    which peft adapts through `target_parameters` and its `ParamWrapper`; `ParamWrapper` refuses
    `lora_dropout != 0`, so `all-linear` with the usual dropout fails on the new version while it ran
    on transformers 4. A framework that hands peft no rank (an axolotl config without `lora_r`), or
    a config that names nothing to adapt, fails the same way.

    ## Example
    ```python
    LoraConfig(r=16, lora_alpha=32, target_modules="all-linear", lora_dropout=0.05)  # on Mixtral, transformers 5
    ```

    ## Use instead
    ```python
    LoraConfig(r=16, lora_alpha=32, target_modules="all-linear", lora_dropout=0.0)
    ```
    """

    code = "LORA108"
    name = "peft-rejects-config"
    severity = Severity.ERROR
    needs = Needs.CONFIG | Needs.BASE
    basis = Basis.CONFIG
    hint = "Change the setting peft names so that get_peft_model accepts the config."

    def check(self, ctx: RuleContext) -> Iterator[Finding]:
        refusal = ctx.setup.peft_refusal
        if refusal is None:
            return
        configs = ctx.setup.lora_configs
        adapter = next(iter(configs), None)
        config = configs.get(adapter, {}) if adapter is not None else {}
        # an entry that matched nothing is LORA101's to name; here only a config that gives no entry at all
        if refusal.nothing_targeted and (config.get("target_modules") or config.get("target_parameters")):
            return
        field = refusal.field
        setting = None
        if field is not None:
            value = config.get(field)
            setting = field if value is None else f"{field}: {value!r}"
        yield self.finding(
            ctx,
            f"peft refuses this LoRA config on {type(ctx.setup.base_model).__name__}: get_peft_model raises "
            f"{refusal.error}: {refusal.message}",
            adapter=adapter,
            setting=setting,
            hint=_FIXES.get(field or "", self.hint),
            evidence={"error": refusal.error, "peft_message": refusal.message, "field": field},
        )


@hookimpl
def lora_lint_register_rules(register: RegisterRule) -> None:
    register(PeftRejectsConfig)
