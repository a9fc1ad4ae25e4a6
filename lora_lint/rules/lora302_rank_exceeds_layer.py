"""LORA302: a targeted layer is too small for the rank: r >= min(in_features, out_features)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

from lora_lint.facts.scales import ConfigScale, config_file, module_paths
from lora_lint.facts.update_rank import UpdateShape
from lora_lint.findings import Basis, Finding, Severity
from lora_lint.hookspecs import RegisterRule
from lora_lint.plugins import hookimpl
from lora_lint.rules._base import Needs, Rule
from lora_lint.text import shorten

if TYPE_CHECKING:
    from lora_lint.context import RuleContext


class RankExceedsLayer(Rule):
    """
    ## What it does
    Reports targeted layers whose rank (`r`, or the `rank_pattern` entry that applies) is at least
    `min(in_features, out_features)` of the layer, grouped by rank and layer size. Needs the base
    model's structure (a live model, or `--model DIR`, built on the meta device when it has no weights).

    ## Why is this bad?
    `B @ A` cannot have a rank above `min(in, out)`: the extra rank adds parameters and compute but
    no expressiveness, and the adapter then holds `r * (in + out)` numbers, as many as or more than the
    layer itself. The low-rank bottleneck that makes LoRA regularise and save memory is gone; usually
    `r` was meant for the large projections and hit a small one (a narrow `k_proj`/`v_proj` with
    grouped-query attention, a classifier head, a 3-channel conv).

    ## Example
    ```python
    # tiny Llama: hidden 64, k_proj/v_proj out_features 32
    LoraConfig(r=32, lora_alpha=64, target_modules=["q_proj", "k_proj", "v_proj"])
    ```

    ## Use instead
    ```python
    LoraConfig(r=32, lora_alpha=64, target_modules=["q_proj", "k_proj", "v_proj"],
               rank_pattern={"k_proj": 8, "v_proj": 8})
    # or train the small layer fully: modules_to_save=["score"]
    ```
    """

    code = "LORA302"
    name = "rank-exceeds-layer"
    severity = Severity.WARNING
    needs = Needs.CONFIG | Needs.BASE
    basis = Basis.STRUCTURE
    hint = "Lower r for these layers (rank_pattern), or train them fully with modules_to_save."

    def check(self, ctx: RuleContext) -> Iterator[Finding]:
        for adapter, scales in ctx.scales.items():
            groups: dict[tuple[int, UpdateShape], list[ConfigScale]] = {}
            for item in scales:
                module = ctx.model.module(item.key) if item.key is not None else None
                shape = module.update if module is not None else None
                if shape is None or shape.groups > 1 or shape.max_rank < 2:
                    continue  # grouped convs factor per group; a rank-1 layer has no lower rank to suggest
                if item.r >= shape.max_rank:
                    groups.setdefault((item.r, shape), []).append(item)
            for (r, shape), items in groups.items():
                paths = module_paths(ctx.layers, (i.key for i in items))
                cap = shape.max_rank
                sizes = f"in {shape.in_features}, out {shape.out_features}"
                if shape.kernel > 1:
                    sizes = f"in {shape.in_features} x kernel {shape.kernel}, out {shape.out_features}"
                message = (
                    f"r {r} >= min({sizes}) = {cap} on {shorten(paths)}: the update B @ A cannot exceed rank "
                    f"{cap}, so the adapter holds {shape.adapter_numbers(r)} numbers per layer (the layer itself "
                    f"{shape.layer_numbers}) with no gain"
                )
                yield self.finding(
                    ctx,
                    message,
                    module=paths[0],
                    adapter=adapter,
                    setting=items[0].r_source,
                    file=config_file(ctx.setup, adapter),
                    hint=(
                        f"Use r below {cap} for these layers, e.g. rank_pattern={{{_leaf(paths[0])!r}: "
                        f"{max(1, cap // 4)}}}, or train them fully with modules_to_save."
                    ),
                    evidence={
                        "r": r,
                        "in_features": shape.in_features,
                        "out_features": shape.out_features,
                        "kernel": shape.kernel,
                        "max_rank": cap,
                        "modules": paths,
                    },
                )


def _leaf(path: str) -> str:
    return path.rsplit(".", 1)[-1]


@hookimpl
def lora_lint_register_rules(register: RegisterRule) -> None:
    register(RankExceedsLayer)
