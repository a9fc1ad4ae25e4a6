"""LORA101: a target_modules entry that matches no module of the base model."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

from lora_lint.facts.target_misuse import is_regex
from lora_lint.findings import Basis, Finding, Severity
from lora_lint.hookspecs import RegisterRule
from lora_lint.plugins import hookimpl
from lora_lint.rules._base import Needs, Rule

if TYPE_CHECKING:
    from lora_lint.context import RuleContext
    from lora_lint.facts.targeting import EntryMatch


class TargetUnmatched(Rule):
    """
    ## What it does
    Reports each `target_modules` entry that matches no module of the base model, and suggests the
    model's real layer names (e.g. `v_proj` for `value` on Llama, `c_attn` for `q_proj` on GPT-2).
    An expert projection name (`w1`, `gate_proj`) on an MoE whose experts transformers 5 fuses into 3-D
    parameters is reported only where peft does not rewrite it into `target_parameters` (it does for
    Mixtral and the Qwen-MoE family), with the `target_parameters` that reach the experts.

    ## Why is this bad?
    peft raises only when *no* entry matches. A typo or a name from another architecture in one
    entry silently trains fewer layers than you think, and the run looks healthy.

    ## Example
    ```python
    LoraConfig(r=8, lora_alpha=16, target_modules=["q_proj", "value"])  # Llama has no "value"
    ```

    ## Use instead
    ```python
    LoraConfig(r=8, lora_alpha=16, target_modules=["q_proj", "v_proj"])
    ```

    ## References
    - peft `check_target_module_exists` (list entries match whole dotted components)
    """

    code = "LORA101"
    name = "target-unmatched"
    severity = Severity.ERROR
    needs = Needs.CONFIG
    basis = Basis.STRUCTURE
    hint = "Use one of the model's layer names, or remove the entry."

    def check(self, ctx: RuleContext) -> Iterator[Finding]:
        for adapter, facts in ctx.targeting.items():
            if facts.cannot_verify is not None:
                reason = ctx.setup.cannot_verify
                if reason:
                    yield self.finding(
                        ctx,
                        f"cannot verify targets: {reason}",
                        adapter=adapter,
                        severity=Severity.INFO,
                        hint="Lint with a base model that can be built offline (--model DIR with config.json).",
                    )
                else:
                    why = f"{facts.cannot_verify} (pass --model DIR)"
                    ctx.note(f"targets of adapter {adapter!r} not checked: {why}", self.code)
                continue
            for entry in facts.field_entries("target_modules"):
                # an entry peft reads differently from how it looks is LORA102's to explain
                if entry.adaptable or entry.misuse is not None:
                    continue
                yield self._unmatched(ctx, adapter, entry, facts.targets_from_default)

    def _unmatched(self, ctx: RuleContext, adapter: str, entry: EntryMatch, from_default: bool) -> Finding:
        what = "a regex that matches" if entry.field == "target_modules" and is_regex(entry.entry) else "matches"
        if entry.matches:
            types = sorted({m.type_name for k in entry.matches if (m := ctx.model.module(k)) is not None})
            message = (
                f"target_modules entry {entry.entry!r} {what} only modules LoRA cannot adapt "
                f"({', '.join(types)}, e.g. {entry.matches[0]}); no layer gets an adapter from it"
            )
        else:
            message = f"target_modules entry {entry.entry!r} {what} no module of {ctx.model.architecture or 'the model'}"
        hint = f"Closest real names: {', '.join(entry.closest)}." if entry.closest else self.hint
        fused = self._fused_experts(ctx, entry)
        if fused:
            message += (
                f": it names an expert projection, and this model stores its routed experts fused into 3-D "
                f"parameters ({', '.join(fused)}) that target_modules cannot reach, and peft does not turn "
                f"{entry.entry!r} into target_parameters for model type {ctx.model.model_type!r}: no expert gets an "
                "adapter"
            )
            hint = f"Target the fused experts with target_parameters={fused!r} (and lora_dropout=0.0)."
        severity = None
        if entry.from_default or from_default:
            message += " (it comes from peft's default target list for this model type, not from your config)"
            hint = "Set target_modules explicitly to the layers you want to train. " + hint
            severity = Severity.INFO
        return self.finding(
            ctx,
            message,
            setting=f"target_modules: {entry.entry!r}",
            adapter=adapter,
            hint=hint,
            severity=severity,
            evidence={"entry": entry.entry, "closest": list(entry.closest), "matched_non_adaptable": list(entry.matches),
                      "fused_experts": fused},
        )

    @staticmethod
    def _fused_experts(ctx: RuleContext, entry: EntryMatch) -> list[str]:
        """The fused expert tensors an unmatched expert-projection name was meant for (none when it matched)."""
        from lora_lint.facts.parts import EXPERT_PROJECTIONS

        if entry.matches or entry.entry.rsplit(".", 1)[-1] not in EXPERT_PROJECTIONS:
            return []
        return ctx.parts.expert_targets


@hookimpl
def lora_lint_register_rules(register: RegisterRule) -> None:
    register(TargetUnmatched)
