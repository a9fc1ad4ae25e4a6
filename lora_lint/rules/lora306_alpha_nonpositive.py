"""LORA306: lora_alpha (or an alpha_pattern value) is zero or negative."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

from lora_lint.facts.scales import config_file, fmt_scale, lora_scale, num
from lora_lint.findings import Basis, Finding, Severity
from lora_lint.hookspecs import RegisterRule
from lora_lint.plugins import hookimpl
from lora_lint.rules._base import Needs, Rule

if TYPE_CHECKING:
    from lora_lint.context import RuleContext


class AlphaNonpositive(Rule):
    """
    ## What it does
    Reports `lora_alpha <= 0`, and every `alpha_pattern` value `<= 0`, in each adapter's config.

    ## Why is this bad?
    peft multiplies the adapter's output by `alpha / r`. With `alpha = 0` that factor is zero: the
    adapter contributes nothing, `lora_A` and `lora_B` get zero gradient and never move, and the run
    trains nothing while the loss curve looks like a frozen model's. A negative alpha flips the sign
    of the update (`W - |scale| * B @ A`), which no LoRA recipe intends; it is almost always a typo,
    and tools that assume a positive alpha will not reproduce the model.

    ## Example
    ```python
    LoraConfig(r=8, lora_alpha=0)
    LoraConfig(r=8, lora_alpha=16, alpha_pattern={"v_proj": -16})
    ```

    ## Use instead
    ```python
    LoraConfig(r=8, lora_alpha=16)
    LoraConfig(r=8, lora_alpha=16, alpha_pattern={"v_proj": 16})
    ```
    """

    code = "LORA306"
    name = "alpha-nonpositive"
    severity = Severity.ERROR
    needs = Needs.CONFIG
    basis = Basis.CONFIG
    hint = "Set a positive lora_alpha (2 * r is a common choice)."

    def check(self, ctx: RuleContext) -> Iterator[Finding]:
        for adapter, config in ctx.model.configs.items():
            rslora = bool(getattr(config, "use_rslora", False))
            entries = [("lora_alpha", config.lora_alpha, int(config.r))]
            rank_pattern = dict(getattr(config, "rank_pattern", None) or {})
            for key, value in sorted((getattr(config, "alpha_pattern", None) or {}).items()):
                entries.append((f"alpha_pattern[{key!r}]", value, int(rank_pattern.get(key, config.r))))
            for setting, alpha, r in entries:
                if alpha is None or float(alpha) > 0:
                    continue
                scale = lora_scale(r, float(alpha), rslora) or 0.0
                if float(alpha) == 0:
                    effect = (
                        "the adapter's output is multiplied by zero, so lora_A and lora_B get zero gradient "
                        "and never train"
                    )
                else:
                    effect = "the adapter's update is subtracted from the layer (sign flipped)"
                yield self.finding(
                    ctx,
                    f"{setting} = {num(alpha)} for adapter {adapter!r} gives effective scale "
                    f"{fmt_scale(scale)}: {effect}",
                    adapter=adapter,
                    setting=f"{setting}: {num(alpha)}",
                    file=config_file(ctx.setup, adapter),
                    hint=f"Set a positive value, e.g. {setting} = {2 * r} (2 * r).",
                    evidence={"alpha": float(alpha), "r": r, "scale": scale},
                )


@hookimpl
def lora_lint_register_rules(register: RegisterRule) -> None:
    register(AlphaNonpositive)
