"""LORA405: the given optimizer misses trainable adapter parameters or holds frozen ones."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import TYPE_CHECKING

from lora_lint.findings import Basis, Finding, Severity
from lora_lint.hookspecs import RegisterRule
from lora_lint.plugins import hookimpl
from lora_lint.rules._base import Needs, Rule
from lora_lint.text import shorten

if TYPE_CHECKING:
    from lora_lint.context import RuleContext
    from lora_lint.facts.params import ParamFact

_SHOW = 3


class OptimizerMismatch(Rule):
    """
    ## What it does
    Reports a given optimizer that misses trainable adapter parameters or holds frozen ones. Its
    param groups are compared with the model by identity: trainable adapter and declared parameters
    (LoRA weights, `modules_to_save` copies, trainable tokens, declared biases) missing from it, and
    frozen parameters inside it. Skipped with `intent="inference"` and when no optimizer is given.

    ## Why is this bad?
    Parameters missing from the optimizer get gradients but never change: the adapter stays at its
    initialisation while the loss curve hides it behind whatever else trains. The usual cause is
    an optimizer built from the base model before `get_peft_model`: peft keeps the base
    `Parameter` objects, so that optimizer holds only frozen base weights and no LoRA weight.
    Frozen parameters inside an optimizer get no update while they stay frozen; they are reported
    as a warning of their own.

    ## Example
    ```python
    optimizer = torch.optim.AdamW(base.parameters(), lr=2e-4)
    model = get_peft_model(base, config)
    ```

    ## Use instead
    ```python
    model = get_peft_model(base, config)
    optimizer = torch.optim.AdamW((p for p in model.parameters() if p.requires_grad), lr=2e-4)
    ```
    """

    code = "LORA405"
    name = "optimizer-mismatch"
    severity = Severity.ERROR
    needs = Needs.MODEL
    basis = Basis.STRUCTURE
    training_only = True
    hint = "Build the optimizer after get_peft_model, from [p for p in model.parameters() if p.requires_grad]."

    def check(self, ctx: RuleContext) -> Iterator[Finding]:
        from lora_lint.facts.params import Kind

        facts = ctx.params
        opt = facts.optimizer
        if opt is None:
            if ctx.setup.optimizer is not None:
                ctx.note(f"optimizer {type(ctx.setup.optimizer).__name__} has no param_groups; not compared", self.code)
            return
        meant = [p for p in facts.params if p.requires_grad and p.kind is not Kind.BASE]
        missing = [p for p in meant if not p.in_optimizer]
        frozen = [p for p in facts.params if p.in_optimizer and not p.requires_grad]
        foreign = f"; {opt.foreign} of its tensors are not parameters of this model" if opt.foreign else ""
        held = f" and holds {len(frozen)} frozen tensors instead" if frozen else ""
        if missing:
            adapters = sorted({p.adapter for p in missing if p.adapter})
            yield self.finding(
                ctx,
                f"{opt.type_name} misses {len(missing)} of {len(meant)} trainable adapter tensors "
                f"({sum(p.numel for p in missing):,} parameters, e.g. {_names(missing)}){held}{foreign}: they get "
                "gradients but never change (optimizer built from the base model before get_peft_model?)",
                parameter=missing[0].name,
                module=missing[0].module,
                adapter=adapters[0] if len(adapters) == 1 else None,
                evidence=_evidence(missing, frozen, opt.foreign),
            )
        elif frozen:
            yield self.finding(
                ctx,
                f"{opt.type_name} holds {len(frozen)} frozen tensors ({sum(p.numel for p in frozen):,} parameters, "
                f"e.g. {_names(frozen)}){foreign}: they get no gradient and no update while frozen, so the "
                "param groups do not say what trains",
                parameter=frozen[0].name,
                module=frozen[0].module,
                severity=Severity.WARNING,
                hint="Build the optimizer from the trainable parameters only (p.requires_grad).",
                evidence=_evidence(missing, frozen, opt.foreign),
            )


def _names(params: Sequence[ParamFact]) -> str:
    return shorten((p.name for p in params), _SHOW)


def _evidence(missing: Sequence[ParamFact], frozen: Sequence[ParamFact], foreign: int) -> dict[str, object]:
    return {
        "missing": [p.name for p in missing],
        "frozen_in_optimizer": [p.name for p in frozen],
        "foreign_tensors": foreign,
    }


@hookimpl
def lora_lint_register_rules(register: RegisterRule) -> None:
    register(OptimizerMismatch)
