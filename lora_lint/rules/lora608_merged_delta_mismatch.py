"""LORA608: a merged model's ``W_merged - W_base`` is not the given adapter's ``scale · B·A``."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import TYPE_CHECKING

from lora_lint.findings import Basis, Finding, Severity
from lora_lint.hookspecs import RegisterRule
from lora_lint.plugins import hookimpl
from lora_lint.rules._base import Needs, Rule

if TYPE_CHECKING:
    from lora_lint.context import RuleContext
    from lora_lint.facts.merged import LayerDelta, MergedFacts

#: ratios of all mismatching layers within this share of each other: one constant factor (another alpha)
_SAME_RATIO = 0.02


class MergedDeltaMismatch(Rule):
    """
    ## What it does
    With `--adapter`, checks per targeted layer that the merged weight minus the base weight is the
    adapter's update `scale · B·A` (transposed for `fan_in_fan_out`/Conv1D layers), within a tolerance
    that accounts for the checkpoint's dtype: `max(1%, 2·u·||W_merged|| / ||scale·B·A||)` with `u` the
    unit roundoff (2⁻²⁴ float32, 2⁻¹¹ float16, 2⁻⁸ bfloat16). It names the layers, the size of the error
    and the likely cause: a constant ratio in every layer (another alpha), a merged weight that sits on a
    4-bit grid (the merge went through a quantized base), layers equal to the base (not merged), or
    neither (another base or another adapter). DoRA merges rescale the weight and are not checked.

    ## Why is this bad?
    The exported model is not the one that was trained and evaluated: a different alpha scales the
    update, a 4-bit base's dequantised weights replace the 16-bit ones the merged copy is written over
    (the quantization error lands in every layer), another base mixes two models.

    ## Example
    ```python
    base = AutoModelForCausalLM.from_pretrained(BASE, quantization_config=BitsAndBytesConfig(load_in_4bit=True))
    PeftModel.from_pretrained(base, ADAPTER).merge_and_unload().dequantize().save_pretrained("merged")
    ```

    ## Use instead
    ```python
    base = AutoModelForCausalLM.from_pretrained(BASE, dtype=torch.bfloat16)   # the 16-bit weights
    PeftModel.from_pretrained(base, ADAPTER).merge_and_unload().save_pretrained("merged")
    ```
    """

    code = "LORA608"
    name = "merged-delta-mismatch"
    severity = Severity.ERROR
    needs = Needs.NONE
    basis = Basis.WEIGHTS
    hint = "Merge the adapter that was trained, with its own adapter_config.json, into the 16-bit base it was trained on."

    def check(self, ctx: RuleContext) -> Iterator[Finding]:
        facts = ctx.merged
        if facts is None or not facts.with_adapter:
            return
        if facts.dora_layers():
            ctx.note(f"{len(facts.dora_layers())} DoRA layers: a DoRA merge rescales the weight by its magnitude, "
                     "so W_merged - W_base cannot be checked against scale·B·A", self.code)
        bad = facts.mismatches()
        if not bad or facts.unchanged:
            return  # all equal to the base is LORA607's
        worst = max(bad, key=lambda layer: layer.relative_error or 0.0)
        names = ", ".join(layer.module for layer in bad[:3]) + (f" and {len(bad) - 3} more" if len(bad) > 3 else "")
        size = (
            f"relative error up to {worst.relative_error:.3g} (tolerance {worst.tolerance:.3g} for {worst.dtype})"
        )
        yield self.finding(
            ctx,
            f"W_merged - W_base is not the adapter's scale·B·A in {len(bad)} of {len(facts.layers)} layers ({names}): "
            f"{size}; {_cause(bad, facts)}",
            module=worst.module,
            evidence={
                "layers": [layer.module for layer in bad],
                "relative_errors": {layer.module: layer.relative_error for layer in bad},
                "dtype": worst.dtype,
                "ratio": worst.ratio,
                "quantized": any(layer.quantized for layer in bad),
            },
        )


def _cause(bad: Sequence[LayerDelta], facts: MergedFacts) -> str:
    ratios = [layer.ratio for layer in bad if layer.ratio is not None]
    fitted = all(
        layer.ratio_fit is not None and layer.tolerance is not None and layer.ratio_fit <= layer.tolerance for layer in bad
    )
    if fitted and ratios and max(ratios) - min(ratios) <= _SAME_RATIO * max(abs(r) for r in ratios):
        ratio = sum(ratios) / len(ratios)
        alpha = facts.adapter_config.get("lora_alpha")
        other = f" (lora_alpha {ratio * alpha:g} instead of {alpha:g})" if isinstance(alpha, (int, float)) else ""
        return f"the merged update is {ratio:.3g}x the adapter's in every layer: merged with another alpha{other}"
    if any(layer.quantized for layer in bad):
        return ("the merged weights sit on a 4-bit grid (16 values per block of 64): the merge went through a "
                "quantized base, and its quantization error replaced the 16-bit base weights")
    if all(layer.equal for layer in bad):
        return "these layers equal the base's: they were not merged"
    return "the difference follows neither a constant ratio nor a 4-bit grid: another base, or another adapter"


@hookimpl
def lora_lint_register_rules(register: RegisterRule) -> None:
    register(MergedDeltaMismatch)
