"""LORA105: targets that span several towers of a model, or hit MoE router gates."""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from typing import TYPE_CHECKING

from lora_lint.findings import Basis, Finding, Severity
from lora_lint.hookspecs import RegisterRule
from lora_lint.plugins import hookimpl
from lora_lint.rules._base import Needs, Rule
from lora_lint.text import shorten
from lora_lint.wording import plural

if TYPE_CHECKING:
    from lora_lint.context import RuleContext
    from lora_lint.facts.parts import ModelParts


class TargetOverbroad(Rule):
    """
    ## What it does
    Tells you when the adapted layers span several towers of the model (a vision encoder and a language
    model, an encoder and a decoder) or include MoE router gates, and lists the matched modules grouped by
    tower. A decoder-only model such as Llama has a single tower and never triggers it; T5 with
    `["q", "v"]` adapts both its encoder and decoder, which this rule reports as info.

    ## Why is this bad?
    Short names are shared across towers: `q_proj` names the attention of a CLIP vision tower and of the
    Llama language model in LLaVA alike, so an adapter meant for the language side also changes how images
    are encoded. A LoRA on a router changes which experts each token goes to. Either can be what you want;
    it should be a choice.

    ## Example
    ```python
    # LLaVA: adapts the vision tower and the language model
    LoraConfig(target_modules=["q_proj", "v_proj"])
    ```

    ## Use instead
    ```python
    LoraConfig(target_modules=r"model\\.language_model\\..*\\.(q_proj|v_proj)")
    ```

    ## Options
    Ignore LORA105 (`ignore = ["LORA105"]`) where adapting every tower is the plan, e.g. T5 fine-tuning.
    """

    code = "LORA105"
    name = "target-overbroad"
    severity = Severity.INFO
    needs = Needs.CONFIG | Needs.BASE
    basis = Basis.STRUCTURE
    hint = "Restrict target_modules to the tower you mean with a full-path regex string."

    def check(self, ctx: RuleContext) -> Iterator[Finding]:
        parts = ctx.parts
        for adapter, facts in ctx.targeting.items():
            if facts.cannot_verify is not None:
                continue
            hit = list(facts.targeted) + [k.rpartition(".")[0] for k in facts.targeted_parameters]
            if len(parts.towers) >= 2:
                groups = parts.by_tower(dict.fromkeys(hit))
                towers = [g for g in groups if g != "other"]
                if len(towers) >= 2:
                    yield self._towers(ctx, adapter, parts, groups, towers)
            routers = sorted({r for k in hit if (r := parts.router_of(k)) is not None})
            if routers:
                yield self._routers(ctx, adapter, parts, facts.targeted, facts.targeted_parameters, routers)

    def _towers(
        self,
        ctx: RuleContext,
        adapter: str,
        parts: ModelParts,
        groups: dict[str, list[str]],
        towers: Sequence[str],
    ) -> Finding:
        shown = "; ".join(f"{t}: {plural(len(groups[t]), 'module')}, e.g. {groups[t][0]}" for t in towers)
        keep = next(t for t in parts.towers if str(t) == towers[-1])
        leaves = sorted({k.rsplit(".", 1)[-1] for k in groups[towers[-1]]})
        inner = leaves[0] if len(leaves) == 1 else "(" + "|".join(leaves) + ")"
        regex = rf"{re.escape(keep.key)}\..*\.{inner}"
        return self.finding(
            ctx,
            f"the adapter's targets span {len(towers)} towers of {ctx.model.architecture or 'the model'}: {shown}",
            adapter=adapter,
            setting="target_modules",
            hint=f"If you mean one tower only, use a full-path regex string, e.g. target_modules=r'{regex}'.",
            evidence={"towers": groups},
        )

    def _routers(
        self,
        ctx: RuleContext,
        adapter: str,
        parts: ModelParts,
        modules: Sequence[str],
        params: Sequence[str],
        routers: list[str],
    ) -> Finding:
        shown = shorten(routers)
        by_param = [k for k in params if parts.router_of(k) is not None]
        if by_param:
            # a parameter target (peft's own MoE rewrite adds "gate.weight" for "all-linear") is not excluded by
            # exclude_modules: name the targets explicitly instead
            keep_modules = sorted({k.rsplit(".", 1)[-1] for k in modules if parts.router_of(k) is None})
            keep_params = sorted({".".join(k.split(".")[-2:]) for k in params if parts.router_of(k) is None})
            fix = f"target_modules={keep_modules!r}, target_parameters={keep_params!r}"
            setting = "target_parameters"
        else:
            fix = f"exclude_modules={sorted({r.rsplit('.', 1)[-1] for r in routers})!r}"
            setting = "target_modules"
        return self.finding(
            ctx,
            f"the adapter's targets include {plural(len(routers), 'MoE router gate')} ({shown}); "
            "an adapter there changes how tokens are routed to experts",
            adapter=adapter,
            setting=setting,
            hint=f"Leave routers frozen unless you mean to retrain routing: {fix}.",
            evidence={"routers": routers, "router_parameters": by_param},
        )


@hookimpl
def lora_lint_register_rules(register: RegisterRule) -> None:
    register(TargetOverbroad)
