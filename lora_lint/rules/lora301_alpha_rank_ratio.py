"""LORA301: the effective LoRA scale (alpha/r, or alpha/sqrt(r) with rsLoRA) lies outside a sane band."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

from lora_lint.facts.scales import ConfigScale, alpha_for, config_file, fmt_scale, lora_scale, module_paths, num
from lora_lint.findings import Basis, Finding, Severity
from lora_lint.hookspecs import RegisterRule
from lora_lint.plugins import hookimpl
from lora_lint.rules._base import Needs, Rule

if TYPE_CHECKING:
    from lora_lint.context import RuleContext

#: from this rank on, alpha/r shrinks the update enough that rsLoRA is the usual cure
RSLORA_RANK = 64


class AlphaRankRatio(Rule):
    """
    ## What it does
    Computes the effective scale every targeted layer gets, the factor peft multiplies the adapter's
    output by: `lora_alpha / r`, or `lora_alpha / sqrt(r)` with `use_rslora=True`, per layer when
    `rank_pattern`/`alpha_pattern` apply. Reports the layers whose scale lies outside a band
    (default 0.25 to 8, both ends inclusive), grouped by scale. Works from the config alone, so saved
    adapters and config files are covered; without a base model each config/pattern entry is judged.

    ## Why is this bad?
    The scale multiplies both the adapter's output and its gradients. A tiny scale (alpha 8 at r 256)
    makes the adapter barely learn at the usual learning rates; a large one (alpha 64 at r 2) blows
    up updates and destabilises training. Both look like a "LoRA does not work" run.
    At high ranks plain `alpha / r` shrinks the update as r grows; rsLoRA (`alpha / sqrt(r)`)
    keeps it stable.

    ## Example
    ```python
    LoraConfig(r=2, lora_alpha=64)                      # scale 32.0
    LoraConfig(r=256, lora_alpha=256, use_rslora=True)  # scale 16.0
    ```

    ## Use instead
    ```python
    LoraConfig(r=16, lora_alpha=32)                     # scale 2.0
    LoraConfig(r=256, lora_alpha=32, use_rslora=True)   # scale 2.0
    ```

    ## Options
    `alpha-ratio-min` and `alpha-ratio-max` in `[tool.lora-lint]` (defaults 0.25 and 8, inclusive:
    the QLoRA paper's r=64/alpha=16 and the LoRA paper's GPT-2 r=4/alpha=32 pass).

    ## References
    - peft `LoraLayer.update_layer` (scaling); Kalajdzievski 2023, "A Rank Stabilization Scaling Factor"
    """

    code = "LORA301"
    name = "alpha-rank-ratio"
    severity = Severity.WARNING
    needs = Needs.CONFIG
    basis = Basis.CONFIG
    hint = "Choose lora_alpha so that the scale lies in the band (alpha = 2 * r is common)."

    def check(self, ctx: RuleContext) -> Iterator[Finding]:
        low, high = ctx.settings.alpha_ratio_min, ctx.settings.alpha_ratio_max
        for adapter, scales in ctx.scales.items():
            groups: dict[tuple[int, float, bool], list[ConfigScale]] = {}
            for item in scales:
                value = item.scale
                # alpha <= 0 is LORA306's to report; a rank peft refuses has no scale
                if value is None or item.alpha <= 0 or low <= value <= high:
                    continue
                groups.setdefault((item.r, item.alpha, item.use_rslora), []).append(item)
            for items in groups.values():
                yield self._finding(ctx, adapter, items, low, high)

    def _finding(self, ctx: RuleContext, adapter: str, items: list[ConfigScale], low: float, high: float) -> Finding:
        first = items[0]
        scale = first.scale or 0.0
        paths = module_paths(ctx.layers, (i.key for i in items))
        side = f"below {num(low)}" if scale < low else f"above {num(high)}"
        effect = (
            "the adapter's output and gradients are damped so much that it barely learns"
            if scale < low
            else "updates are amplified enough to destabilise training"
        )
        where = f" on {_some(paths)}" if paths else f" ({first.setting})"
        message = f"effective scale {fmt_scale(scale)} = {first.formula}{where} is {side}: {effect}"
        return self.finding(
            ctx,
            message,
            module=paths[0] if paths else None,
            adapter=adapter,
            setting=first.setting,
            file=config_file(ctx.setup, adapter),
            hint=_hint(first, low, high),
            evidence={
                "scale": scale,
                "r": first.r,
                "alpha": first.alpha,
                "use_rslora": first.use_rslora,
                "band": [low, high],
                "modules": paths,
            },
        )


def _some(paths: list[str], shown: int = 3) -> str:
    head = ", ".join(paths[:shown])
    return f"{len(paths)} layers ({head}, ...)" if len(paths) > shown else head


def _hint(item: ConfigScale, low: float, high: float) -> str:
    lo_alpha, hi_alpha = alpha_for(low, item.r, item.use_rslora), alpha_for(high, item.r, item.use_rslora)
    text = f"For r={item.r}, set lora_alpha between {num(round(lo_alpha, 2))} and {num(round(hi_alpha, 2))}."
    if item.r >= RSLORA_RANK and not item.use_rslora:
        rs = lora_scale(item.r, item.alpha, True) or 0.0
        text = (
            f"At rank {item.r}, use rsLoRA (use_rslora=True): alpha {num(item.alpha)} / sqrt({item.r}) "
            f"= {fmt_scale(rs)}. " + (text if not low <= rs <= high else "")
        ).strip()
    return text


@hookimpl
def lora_lint_register_rules(register: RegisterRule) -> None:
    register(AlphaRankRatio)
