"""LORA604: a saved adapter file with no tensors, or with empty or flattened ones."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

from lora_lint.findings import Basis, Finding, Severity
from lora_lint.hookspecs import RegisterRule
from lora_lint.plugins import hookimpl
from lora_lint.rules._base import Needs, Rule

if TYPE_CHECKING:
    from lora_lint.context import RuleContext

ZERO3 = "typical of a DeepSpeed ZeRO-3 or FSDP save that did not gather the sharded weights"


class AdapterEmpty(Rule):
    """
    ## What it does
    Reports a saved adapter with no weights file, a weights file that holds no tensors (or none named
    ``lora_A``/``lora_B``: not a LoRA adapter at all), or tensors
    with zero elements, and `lora_A`/`lora_B` tensors flattened to one dimension. The header is
    enough: no values are read.

    ## Why is this bad?
    Under DeepSpeed ZeRO-3 (or FSDP) every rank holds a shard of each parameter. Saving without
    gathering writes empty or 1-D placeholders; peft then loads an adapter that is silently empty
    (or fails on the shapes), and all the training is lost.

    ## Example
    ```python
    # deepspeed zero3 config without "stage3_gather_16bit_weights_on_model_save": true
    model.save_pretrained("out")     # lora_A.weight has shape [0]
    ```

    ## Use instead
    ```python
    # set "stage3_gather_16bit_weights_on_model_save": true, or save through the Trainer /
    # accelerator.get_state_dict(model) so the shards are gathered on rank 0
    trainer.save_model("out")
    ```
    """

    code = "LORA604"
    name = "adapter-empty"
    severity = Severity.ERROR
    needs = Needs.ARTIFACT
    basis = Basis.STRUCTURE
    hint = "Save with the shards gathered (ZeRO-3: stage3_gather_16bit_weights_on_model_save=true), then check again."

    def check(self, ctx: RuleContext) -> Iterator[Finding]:
        for adapter in ctx.artifacts:
            if adapter.weights is None:
                yield self.finding(
                    ctx,
                    f"adapter {adapter.name!r} has an adapter_config.json but no adapter_model.safetensors or "
                    "adapter_model.bin: there are no weights to load",
                    adapter=adapter.name,
                    file=adapter.file,
                    hint="Copy the weights file next to adapter_config.json, or save the adapter again.",
                )
                continue
            if not adapter.tensors:
                yield self.finding(
                    ctx,
                    f"{adapter.weights.name} of adapter {adapter.name!r} holds no tensors ({ZERO3}, or a failed save)",
                    adapter=adapter.name,
                    file=adapter.file,
                )
                continue
            if not any(t.saved.role in ("A", "B") for t in adapter.tensors):
                sample = adapter.tensors[0].saved.key
                yield self.finding(
                    ctx,
                    f"{adapter.weights.name} of adapter {adapter.name!r} holds {len(adapter.tensors)} tensors but no "
                    f"lora_A/lora_B factor (e.g. {sample}): it is not a LoRA adapter, or a failed save",
                    adapter=adapter.name,
                    file=adapter.file,
                    hint="Save the LoRA adapter with PeftModel.save_pretrained, or point lora-lint at the right folder.",
                )
                continue
            empty = [t for t in adapter.tensors if t.numel == 0 or (t.saved.is_factor and len(t.shape) < 2)]
            if not empty:
                continue
            first = empty[0]
            yield self.finding(
                ctx,
                f"{len(empty)} of {len(adapter.tensors)} tensors of adapter {adapter.name!r} are empty or flattened "
                f"(e.g. {first.saved.name} with shape {list(first.shape)}): {ZERO3}",
                adapter=adapter.name,
                parameter=first.saved.name,
                file=adapter.file,
                evidence={t.saved.name: list(t.shape) for t in empty},
            )


@hookimpl
def lora_lint_register_rules(register: RegisterRule) -> None:
    register(AdapterEmpty)
