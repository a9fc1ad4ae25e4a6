"""LORA305: a freshly built adapter already changes the model's output (lora_B is not zero at build)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

from lora_lint.findings import Basis, Finding, Severity
from lora_lint.hookspecs import RegisterRule
from lora_lint.plugins import hookimpl
from lora_lint.rules._base import Needs, Rule
from lora_lint.text import shorten

if TYPE_CHECKING:
    from lora_lint.context import RuleContext


class NonidentityInit(Rule):
    """
    ## What it does
    Reports an adapter built with `init_lora_weights=False`: peft then keeps the random
    initialisation of both `lora_A` and `lora_B`, so the wrapped model's output differs from the base
    model's before the first step. On a live model it names the layers whose `lora_B` is not zero; on a
    LoRA config file it reports the setting.

    An adapter loaded from a checkpoint legitimately has a non-zero `lora_B`. It is told apart this
    way: a saved adapter folder, a training run, a config read from `adapter_config.json`, and a
    live config with `inference_mode=True` (what `PeftModel.from_pretrained` gives without
    `is_trainable=True`) are treated as loaded and never reported. peft leaves no other trace of
    loading, so a live model resumed with `from_pretrained(..., is_trainable=True)` from a run that was
    itself trained with `init_lora_weights=False` is judged as freshly built: ignore LORA305 there.
    Identity-preserving initialisations (the default, `"gaussian"`, PiSSA, OLoRA, LoftQ, EVA, CorDA)
    are not reported, even though some of them make `lora_B` non-zero.

    ## Why is this bad?
    LoRA starts from `B = 0` so that fine-tuning begins at the pretrained model. With random `B`
    the first forward pass already adds noise of size `scaling * B @ A` to every targeted layer: the
    initial loss jumps, early updates are spent undoing the noise, and results do not match the
    base model at step 0.

    ## Example
    ```python
    LoraConfig(r=8, lora_alpha=16, init_lora_weights=False)
    ```

    ## Use instead
    ```python
    LoraConfig(r=8, lora_alpha=16)  # init_lora_weights=True: lora_B starts at zero
    ```
    """

    code = "LORA305"
    name = "nonidentity-init"
    severity = Severity.WARNING
    needs = Needs.CONFIG
    basis = Basis.WEIGHTS
    training_only = True
    hint = (
        "Drop init_lora_weights=False (the default True starts lora_B at zero), "
        "or use an identity-preserving init such as 'gaussian'."
    )

    def check(self, ctx: RuleContext) -> Iterator[Finding]:
        setup = ctx.setup
        if setup.checkpoints or _from_saved_file(setup.origin.file):
            return
        for adapter, config in ctx.model.configs.items():
            if getattr(config, "init_lora_weights", True) is not False:
                continue
            if adapter in setup.adapter_dirs or getattr(config, "inference_mode", False):
                continue
            slots = list(ctx.layers.slots(adapter))
            nonzero = [s for s in slots if s.b_is_zero is False]
            if nonzero:
                shown = shorten([s.b_param or s.layer for s in nonzero], 1)
                message = (
                    f"adapter {adapter!r} was built with init_lora_weights=False: lora_B is random, not zero, "
                    f"on {len(nonzero)} of {len(slots)} layers ({shown}), so the model's output "
                    "already differs from the base model before training"
                )
                yield self.finding(
                    ctx,
                    message,
                    parameter=nonzero[0].b_param,
                    module=nonzero[0].layer,
                    adapter=adapter,
                    setting="init_lora_weights: False",
                    evidence={"layers": [s.layer for s in nonzero], "of": len(slots)},
                )
            elif not slots or all(s.b_is_zero is None for s in slots):
                # No values to read (a config file, a meta-device build): the setting alone decides.
                message = (
                    f"init_lora_weights=False for adapter {adapter!r}: peft will keep lora_B random instead "
                    "of zero, so the adapter changes the model's output before training"
                )
                yield self.finding(
                    ctx, message, adapter=adapter, setting="init_lora_weights: False", basis=Basis.CONFIG
                )


def _from_saved_file(file: str | None) -> bool:
    return bool(file) and str(file).replace("\\", "/").rsplit("/", 1)[-1] == "adapter_config.json"


@hookimpl
def lora_lint_register_rules(register: RegisterRule) -> None:
    register(NonidentityInit)
