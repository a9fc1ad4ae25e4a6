"""LORA801: DeepSpeed ZeRO stage 3 without gathering 16-bit weights on save, so the saved adapter is empty."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

from lora_lint.findings import Basis, Finding, Severity
from lora_lint.hookspecs import RegisterRule
from lora_lint.plugins import hookimpl
from lora_lint.rules._base import Needs, Rule

if TYPE_CHECKING:
    from lora_lint.context import RuleContext


class Zero3SaveNotGathered(Rule):
    """
    ## What it does
    Reads the DeepSpeed JSON (`--deepspeed`) and the accelerate config (`--accelerate-config`, including
    the JSON its `deepspeed_config_file` names) and reports ZeRO stage 3 when
    `zero_optimization.stage3_gather_16bit_weights_on_model_save` (accelerate:
    `zero3_save_16bit_model`) is false or missing. An `"auto"` value takes accelerate's
    `zero3_save_16bit_model`, which defaults to false.

    ## Why is this bad?
    Under ZeRO-3 every rank holds an empty placeholder for each parameter and only a partition of its
    values. Without gathering on save, `save_pretrained` (and the Trainer's `save_model`) write those
    placeholders: the `adapter_model.safetensors` is a few bytes of empty tensors and loading it
    changes nothing. The job runs for hours and the loss goes down, but nothing usable is saved.

    ## Example
    ```json
    {"zero_optimization": {"stage": 3, "offload_param": {"device": "cpu"}}}
    ```

    ## Use instead
    ```json
    {"zero_optimization": {"stage": 3, "stage3_gather_16bit_weights_on_model_save": true}}
    ```

    ## References
    - DeepSpeed config `zero_optimization.stage3_gather_16bit_weights_on_model_save`
    - accelerate `DeepSpeedPlugin(zero3_save_16bit_model=...)`; peft docs, "DeepSpeed" (ZeRO-3 + LoRA)
    """

    code = "LORA801"
    name = "zero3-save-not-gathered"
    severity = Severity.ERROR
    needs = Needs.LAUNCH
    basis = Basis.CONFIG
    hint = 'Set "stage3_gather_16bit_weights_on_model_save": true (accelerate: zero3_save_16bit_model: true).'

    def check(self, ctx: RuleContext) -> Iterator[Finding]:
        launch = ctx.launch
        stage, gather = launch.zero_stage, launch.gather_on_save
        if stage is None or stage.value != 3 or gather is None or gather.value:
            return
        where = gather if gather.line is not None else stage
        written = "is false" if gather.line is not None else "is not set (default false)"
        yield self.finding(
            ctx,
            f"DeepSpeed ZeRO stage 3 ({stage.file}) and {gather.key} {written}: each rank holds only a "
            "partition of every parameter, so the saved adapter will hold empty tensors",
            setting=gather.key,
            file=where.file,
            line=where.line,
            evidence={"zero_stage": 3, "gather_key": gather.key},
        )


@hookimpl
def lora_lint_register_rules(register: RegisterRule) -> None:
    register(Zero3SaveNotGathered)
