"""LORA605: saved adapter keys that do not map onto the base model, so loading would skip them."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

from lora_lint.findings import Basis, Finding, Severity
from lora_lint.hookspecs import RegisterRule
from lora_lint.plugins import hookimpl
from lora_lint.rules._base import Needs, Rule

if TYPE_CHECKING:
    from lora_lint.context import RuleContext


class AdapterKeysUnmapped(Rule):
    """
    ## What it does
    With a base model (`--model DIR`), places every saved tensor on the base model's module tree the
    way peft does on load (the `base_model.model.` prefix removed, transformers' checkpoint renaming
    for the architecture applied) and reports the tensors that land on no module, with the likely
    cause: a `_orig_mod.` prefix from `torch.compile`, a `language_model.`-style prefix from another
    model class, an adapter name left in the keys, or an adapter trained on another model.

    ## Why is this bad?
    peft loads adapter weights with `load_state_dict(strict=False)` and only warns about unexpected
    keys, which few read. The LoRA layers keep their initial `lora_B = 0` and the loaded adapter is a
    no-op, while the code that loaded it reports success.

    ## Example
    ```python
    model = torch.compile(base)
    peft_model = get_peft_model(model, config)       # paths now carry "_orig_mod."
    peft_model.save_pretrained("out")
    ```

    ## Use instead
    ```python
    peft_model = get_peft_model(base, config)       # wrap first,
    compiled = torch.compile(peft_model)            # compile the wrapped model,
    peft_model.save_pretrained("out")               # save the uncompiled one
    ```
    """

    code = "LORA605"
    name = "adapter-keys-unmapped"
    severity = Severity.ERROR
    needs = Needs.ARTIFACT | Needs.BASE
    basis = Basis.STRUCTURE
    hint = "Load the adapter onto the model class it was trained on, or rename its keys to this model's paths."

    def check(self, ctx: RuleContext) -> Iterator[Finding]:
        if ctx.model.base is None:
            return
        arch = ctx.model.architecture or "the base model"
        for adapter in ctx.artifacts:
            mapping = ctx.artifacts.on_base(adapter, ctx.model)
            missing = mapping.unmapped
            if not missing:
                continue
            cause = mapping.cause or "unknown cause"
            hint = self.hint
            if "torch.compile" in cause:
                hint = "Save from the uncompiled model (compiled._orig_mod), or strip '_orig_mod.' from the keys."
            elif "adapter name" in cause:
                hint = "Save with peft's save_pretrained (get_peft_model_state_dict), not a raw state_dict."
            share = f"all {len(missing)}" if len(missing) == len(mapping.keys) else f"{len(missing)} of {len(mapping.keys)}"
            yield self.finding(
                ctx,
                f"{share} saved tensors of adapter {adapter.name!r} do not map onto {arch}: {cause}. "
                "peft loads with strict=False and skips them silently, so those layers stay untrained",
                adapter=adapter.name,
                parameter=missing[0].tensor.saved.key,
                file=adapter.file,
                hint=hint,
                evidence={"unmapped": [k.tensor.saved.key for k in missing], "cause": cause},
            )


@hookimpl
def lora_lint_register_rules(register: RegisterRule) -> None:
    register(AdapterKeysUnmapped)
