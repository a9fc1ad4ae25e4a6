"""LORA802: FSDP1 with use_orig_params=False and a wrap unit mixing frozen and trainable parameters."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

from lora_lint.findings import Basis, Finding, Severity
from lora_lint.hookspecs import RegisterRule
from lora_lint.plugins import hookimpl
from lora_lint.rules._base import Needs, Rule

if TYPE_CHECKING:
    from lora_lint.context import RuleContext


class FsdpMixedUnit(Rule):
    """
    ## What it does
    For FSDP version 1 with `use_orig_params=False` (accelerate: `fsdp_use_orig_params: false`, its
    default), simulates the configured auto-wrap policy on the model (`TRANSFORMER_BASED_WRAP` with
    `fsdp_transformer_layer_cls_to_wrap` or the model's `_no_split_modules`, `SIZE_BASED_WRAP` with
    `fsdp_min_num_params`, `NO_WRAP`, or peft's `fsdp_auto_wrap_policy` that transformers' Trainer sets
    for a PeftModel) and names the units that would hold both frozen base and trainable LoRA parameters.
    It runs on the meta-device model, before any GPU is allocated.

    ## Why is this bad?
    FSDP1 without `use_orig_params` flattens each unit's parameters into one `FlatParameter`, which has
    a single `requires_grad`. A decoder layer holding frozen `q_proj.base_layer` and trainable
    `lora_A`/`lora_B` cannot be flattened: the job fails after every node has loaded the full model
    ("Must flatten tensors with uniform requires_grad"), or trains the frozen weights with it.

    ## Example
    ```yaml
    distributed_type: FSDP
    fsdp_config:
      fsdp_auto_wrap_policy: TRANSFORMER_BASED_WRAP
      fsdp_use_orig_params: false     # with a custom loop that keeps this policy
    ```

    ## Use instead
    ```python
    from peft.utils.other import fsdp_auto_wrap_policy
    accelerator.state.fsdp_plugin.auto_wrap_policy = fsdp_auto_wrap_policy(model)  # or use the Trainer
    ```
    or set `fsdp_use_orig_params: true`, or use FSDP2 (`fsdp_version: 2`).

    ## References
    - peft docs, "Fully Sharded Data Parallel" (`fsdp_auto_wrap_policy`)
    - PyTorch FSDP `use_orig_params` (uniform requires_grad per FlatParameter)
    """

    code = "LORA802"
    name = "fsdp-mixed-unit"
    severity = Severity.ERROR
    needs = Needs.LAUNCH | Needs.MODEL
    basis = Basis.STRUCTURE
    hint = "Wrap LoRA layers on their own (peft's fsdp_auto_wrap_policy), or set fsdp_use_orig_params: true, or use FSDP2."

    def check(self, ctx: RuleContext) -> Iterator[Finding]:
        launch = ctx.launch
        version, orig, wrap = launch.fsdp_version, launch.use_orig_params, launch.wrap
        if version is None or version.value != 1 or orig is None or orig.value or wrap is None:
            return
        units = ctx.fsdp_units
        if units is None:
            return
        for name in units.unknown_classes:
            ctx.note(f"{wrap.file}: fsdp_transformer_layer_cls_to_wrap names {name!r}, a class the model does not have", self.code)
        mixed = units.mixed
        if not mixed:
            return
        first = mixed[0]
        label = first.module or "the root unit"
        yield self.finding(
            ctx,
            f"FSDP1 with use_orig_params=false and the {wrap.value.kind} wrap policy builds {len(mixed)} unit(s) "
            f"holding frozen and trainable parameters (e.g. {label}: {len(first.trainable)} trainable such as "
            f"{first.trainable[0]}, {len(first.frozen)} frozen such as {first.frozen[0]})",
            module=first.module or None,
            setting=orig.key,
            file=orig.file,
            line=orig.line if orig.line is not None else wrap.line,
            evidence={"policy": wrap.value.kind, "units": [u.module for u in mixed]},
        )


@hookimpl
def lora_lint_register_rules(register: RegisterRule) -> None:
    register(FsdpMixedUnit)
