"""LORA607: a merged model whose compared weights equal the base's: nothing was merged."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

from lora_lint.findings import Basis, Finding, Severity
from lora_lint.hookspecs import RegisterRule
from lora_lint.plugins import hookimpl
from lora_lint.rules._base import Needs, Rule

if TYPE_CHECKING:
    from lora_lint.context import RuleContext


class MergedUnchanged(Rule):
    """
    ## What it does
    Compares a merged checkpoint (`lora-lint check MERGED_DIR --model BASE [--adapter ADAPTER_DIR]`)
    with its base, tensor by tensor, and reports when every weight the adapter targets (every 2-D
    weight, without `--adapter`) is bit-for-bit the base's.

    ## Why is this bad?
    The exported model behaves exactly like the base; users find out from evaluations. Typical causes:
    `merge_and_unload()` called on a copy while the original base is saved, the merge's return value
    dropped, the model saved before the merge, or an adapter that never trained (`lora_B` still zero).

    ## Example
    ```python
    merged = PeftModel.from_pretrained(AutoModelForCausalLM.from_pretrained(BASE), ADAPTER).merge_and_unload()
    base.save_pretrained("merged")          # another object: the merge is lost
    ```

    ## Use instead
    ```python
    merged = PeftModel.from_pretrained(base, ADAPTER).merge_and_unload()
    merged.save_pretrained("merged")
    ```
    """

    code = "LORA607"
    name = "merged-unchanged"
    severity = Severity.ERROR
    needs = Needs.NONE
    basis = Basis.WEIGHTS
    hint = "Save the object merge_and_unload() returns (merged = model.merge_and_unload(); merged.save_pretrained(DIR))."

    def check(self, ctx: RuleContext) -> Iterator[Finding]:
        facts = ctx.merged
        if facts is None or not facts.unchanged:
            return
        layers = facts.layers
        untrained = facts.with_adapter and all(not layer.expected_norm for layer in layers if not layer.dora)
        what = "the adapter's targeted weights" if facts.with_adapter else "every 2-D weight"
        cause = (
            "the adapter's update is zero (lora_B never trained), so merging it changes nothing"
            if untrained and any(not layer.dora for layer in layers)
            else "nothing was merged (the merge ran on another object, or the model was saved before it)"
        )
        yield self.finding(
            ctx,
            f"{what} ({len(layers)} tensors, e.g. {layers[0].key}) equal the base's in {facts.base_folder}: {cause}",
            module=layers[0].module,
            evidence={"layers": [layer.key for layer in layers], "base": facts.base_folder, "untrained": untrained},
            hint="Train the adapter before merging (LORA601 checks the saved adapter)." if untrained else None,
        )


@hookimpl
def lora_lint_register_rules(register: RegisterRule) -> None:
    register(MergedUnchanged)
