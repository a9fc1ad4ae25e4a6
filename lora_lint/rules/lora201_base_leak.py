"""LORA201: base-model parameters that train without any config field declaring them."""

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

#: above this share of base elements trainable, report one finding: it is full fine-tuning, not a few leaks
_MOSTLY = 0.5
#: at most this many module groups get a finding of their own
_MAX_GROUPS = 6


class BaseLeak(Rule):
    """
    ## What it does
    Reports base-model parameters that train without any config field declaring them. A parameter
    counts as declared through `modules_to_save`, `bias="all"`/`"lora_only"` or
    `trainable_token_indices`; the rest are grouped by module with the number of leaked parameters.

    ## Why is this bad?
    The optimizer updates them, but `save_pretrained` saves only the adapter and the declared
    modules: the saved adapter does not reproduce the model you trained, and memory and compute grow
    towards full fine-tuning. It usually comes from code that sets `requires_grad=True` after
    `get_peft_model` (a full fine-tuning loop reused, or an "unfreeze the norms" helper).

    ## Example
    ```python
    model = get_peft_model(base, LoraConfig(target_modules=["q_proj", "v_proj"]))
    for p in model.parameters():
        p.requires_grad = True
    ```

    ## Use instead
    ```python
    model = get_peft_model(base, LoraConfig(target_modules=["q_proj", "v_proj"],
                                            modules_to_save=["norm"]))  # declare what must train
    ```
    """

    code = "LORA201"
    name = "base-leak"
    severity = Severity.ERROR
    needs = Needs.MODEL
    basis = Basis.STRUCTURE
    hint = "Declare the module in modules_to_save (it is then trained and saved), or freeze it again."

    def check(self, ctx: RuleContext) -> Iterator[Finding]:
        from lora_lint.facts.params import Kind, count_by, group_key

        facts = ctx.params
        leaked = facts.leaked
        if not leaked or not len(ctx.layers):
            return  # without LoRA layers there is no base to leak from: LORA205 reports the model
        base_total = sum(p.numel for p in facts.of(Kind.BASE))
        leaked_total = sum(p.numel for p in leaked)
        groups = count_by(leaked, lambda p: group_key(p.module))
        mostly = leaked_total > _MOSTLY * base_total
        if mostly or len(groups) > _MAX_GROUPS:
            shown = shorten(groups, 4)
            names = sorted({p.name.rsplit(".", 1)[-1] for p in leaked})
            what = (
                "this trains like full fine-tuning (requires_grad=True set after get_peft_model?)"
                if mostly
                else "the optimizer updates them"
            )
            yield self.finding(
                ctx,
                f"{leaked_total:,} of {base_total:,} base-model parameters ({len(leaked)} tensors in {len(groups)} "
                f"module groups: {shown}) are trainable without being declared: {what}, but save_pretrained "
                "keeps only the adapter and declared modules",
                module=leaked[0].module,
                parameter=leaked[0].name,
                hint=_hint(None, names)
                if names == ["bias"]
                else "Remove the code that sets requires_grad=True after get_peft_model; declare modules that must "
                "train in modules_to_save.",
                evidence={"tensors": len(leaked), "parameters": leaked_total, "groups": dict(groups)},
            )
            return
        for group, (tensors, numel) in groups.items():
            members = [p for p in leaked if group_key(p.module) == group]
            names = sorted({p.name.rsplit(".", 1)[-1] for p in members})
            where = f"{len({p.module for p in members})} modules {group}" if "*" in group else group
            yield self.finding(
                ctx,
                f"{where} ({', '.join(names)}: {numel:,} parameters in {tensors} tensors) trains without being "
                "declared: the optimizer updates it but save_pretrained does not save it, so the saved adapter "
                "will not reproduce the trained model",
                module=members[0].module,
                parameter=members[0].name,
                hint=_hint(facts.saved_entry(group), names),
                evidence={"parameters": [p.name for p in members], "count": numel},
            )


def _hint(entry: str | None, names: list[str]) -> str:
    if names == ["bias"]:
        return 'Set bias="all" (or "lora_only") in LoraConfig so peft trains and saves biases, or freeze them.'
    if entry is None:
        return "Declare the module in modules_to_save by a path no other module's name ends with, or set "\
            "requires_grad=False on it."
    return f"Add {entry!r} to modules_to_save to train and save it, or set requires_grad=False on it."


@hookimpl
def lora_lint_register_rules(register: RegisterRule) -> None:
    register(BaseLeak)
