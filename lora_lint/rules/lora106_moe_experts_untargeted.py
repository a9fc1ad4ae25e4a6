"""LORA106: an MoE model whose fused routed experts no adapter reaches."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import TYPE_CHECKING

from lora_lint.findings import Basis, Finding, Severity
from lora_lint.hookspecs import RegisterRule
from lora_lint.plugins import hookimpl
from lora_lint.rules._base import Needs, Rule

if TYPE_CHECKING:
    from lora_lint.context import RuleContext


class MoeExpertsUntargeted(Rule):
    """
    ## What it does
    Reports an MoE model whose routed experts are stored as fused 3-D parameters (transformers 5:
    `experts.gate_up_proj` and `experts.down_proj` in Mixtral, Qwen-MoE, GPT-OSS, ...) when
    `target_parameters` covers none of them. Dense models, and transformers 4 models whose experts are
    separate `Linear` layers, never trigger it.
    It warns when the targets show the experts were meant (MLP names such as `gate_proj`/`up_proj`/
    `down_proj` or `w1`-`w3`, or `all-linear` on a model whose experts it once reached); an adapter on
    attention only, a common deliberate choice, is reported as info.

    ## Why is this bad?
    `target_modules` adapts layers (`Linear`, `Conv1D`, ...), and a fused expert tensor is not a layer:
    `all-linear`, `w1`/`w2`/`w3` or `gate_proj`/`up_proj`/`down_proj` reach no expert. The experts hold
    most of an MoE model's weights, and the adapter trains none of them, often without the user knowing
    (the same config reached them under transformers 4).

    ## Example
    ```python
    LoraConfig(target_modules="all-linear")  # on Mixtral under transformers 5: attention only
    ```

    ## Use instead
    ```python
    LoraConfig(target_modules="all-linear", target_parameters=["experts.gate_up_proj", "experts.down_proj"])
    ```

    ## References
    - peft `target_parameters` (peft >= 0.17), `lora.ParamWrapper`
    """

    code = "LORA106"
    name = "moe-experts-untargeted"
    severity = Severity.WARNING
    needs = Needs.CONFIG | Needs.BASE
    basis = Basis.STRUCTURE
    training_only = True
    hint = "Add target_parameters for the fused expert weights (peft >= 0.17)."

    def check(self, ctx: RuleContext) -> Iterator[Finding]:
        parts = ctx.parts
        if not parts.fused_experts:
            return
        fused = {p.key for p in parts.fused_experts}
        groups: dict[str, list[tuple[int, ...]]] = {}
        for p in parts.fused_experts:
            groups.setdefault(re.sub(r"\.\d+\.", ".*.", p.key), []).append(p.shape)
        suggested = parts.expert_targets
        share = parts.fused_numel / parts.total_numel if parts.total_numel else 0.0
        for adapter, facts in ctx.targeting.items():
            if facts.conversion_error is not None:
                yield self._refused(ctx, adapter, facts.conversion_error, suggested)
                continue
            if facts.cannot_verify is not None or fused & set(facts.targeted_parameters):
                continue
            meant = _experts_meant(facts.target_modules, ctx.model.model_type)
            shown = ", ".join(f"{g} {'x'.join(map(str, shapes[0]))}" for g, shapes in groups.items())
            message = (
                f"{ctx.model.architecture or 'the model'} stores its routed experts as fused parameters ({shown}; "
                f"{parts.fused_numel:,} weights, {share:.0%} of the model) and no adapter reaches them: "
                "target_modules adapts layers only, and target_parameters covers none of them"
            )
            if not meant:
                message += " (an adapter on attention only is a common choice; nothing to change if it is yours)"
            yield self.finding(
                ctx,
                message,
                adapter=adapter,
                setting="target_parameters",
                hint=_hint(suggested),
                severity=None if meant else Severity.INFO,
                evidence={
                    "experts_meant": meant,
                    "fused_parameters": sorted(fused),
                    "suggested_target_parameters": suggested,
                    "fused_weights": parts.fused_numel,
                    "share": round(share, 4),
                },
            )


    def _refused(self, ctx: RuleContext, adapter: str, error: str, suggested: list[str]) -> Finding:
        return self.finding(
            ctx,
            f"peft cannot map these targets onto the fused experts of {ctx.model.architecture or 'the model'} "
            f"and raises: {error}",
            adapter=adapter,
            setting="target_modules",
            severity=Severity.ERROR,
            hint="Target all the expert projections fused into one tensor (peft names them), or set "
            f"target_parameters={suggested!r} directly.",
            evidence={"peft_error": error, "suggested_target_parameters": suggested},
        )


#: model types whose experts were fused in every transformers version: all-linear never reached them there
_ALWAYS_FUSED = frozenset({"gpt_oss", "llama4", "llama4_text"})


def _experts_meant(targets: object, model_type: str | None) -> bool:
    """Whether the written targets show the experts were meant (MLP names, or all-linear where it once reached them)."""
    if isinstance(targets, str):
        return targets.lower() == "all-linear" and model_type not in _ALWAYS_FUSED
    if not isinstance(targets, (list, tuple, set, frozenset)):
        return False
    from lora_lint.facts.parts import EXPERT_PROJECTIONS

    return any(str(t).rsplit(".", 1)[-1] in EXPERT_PROJECTIONS for t in targets)


def _hint(suggested: list[str]) -> str:
    # every supported peft (>= 0.17.1) has target_parameters
    return f"Add target_parameters={suggested!r} to train the experts, or ignore LORA106 if an adapter without experts is intended."


@hookimpl
def lora_lint_register_rules(register: RegisterRule) -> None:
    register(MoeExpertsUntargeted)
