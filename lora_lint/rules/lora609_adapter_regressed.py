"""LORA609: a later checkpoint of a run lost what an earlier one learned (lora_B re-zeroed, or one rank's shard kept)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

from lora_lint.findings import Basis, Finding, Severity
from lora_lint.hookspecs import RegisterRule
from lora_lint.plugins import hookimpl
from lora_lint.rules._base import Needs, Rule
from lora_lint.wording import plural, verb

if TYPE_CHECKING:
    from lora_lint.context import RuleContext


class AdapterRegressed(Rule):
    """
    ## What it does
    Reads the saved `lora_B` tensors of each checkpoint of a training run block by block and compares
    each checkpoint with the one before it. It reports layers whose `lora_B` is all zero again although
    the earlier checkpoint had trained it, and `lora_B` tensors whose zero rows form whole blocks of
    `out_features / world_size` rows (tried for 2, 3, 4, 6, 8 and 16 processes) while the other blocks
    hold trained values, naming the lost blocks.

    ## Why is this bad?
    An optimizer step almost never returns a trained `lora_B` to exactly zero, and a trained `lora_B`
    has no all-zero output rows. A re-zeroed layer means the checkpoint was written from a freshly built
    (or re-initialised) model; zero row blocks at shard boundaries mean a sharded job (FSDP2
    `fully_shard`, tensor parallel) saved one rank's shard into a zero-filled full tensor. Either way the
    checkpoint you resume from or ship has silently lost training.

    ## Example
    ```python
    # FSDP2: each rank holds rows [rank * out/world, (rank+1) * out/world) of every lora_B
    if dist.get_rank() == 0:
        model.save_pretrained("run/checkpoint-200")   # rank 0's DTensor shards only, the rest zero
    ```

    ## Use instead
    ```python
    from torch.distributed.checkpoint.state_dict import StateDictOptions, get_model_state_dict
    state = get_model_state_dict(model, options=StateDictOptions(full_state_dict=True, cpu_offload=True))
    if dist.get_rank() == 0:
        model.save_pretrained("run/checkpoint-200", state_dict=state)
    ```

    ## References
    - PyTorch `torch.distributed.checkpoint.state_dict.get_model_state_dict` (full_state_dict)
    - accelerate `Accelerator.get_state_dict` (gathers sharded parameters before saving)
    """

    code = "LORA609"
    name = "adapter-regressed"
    severity = Severity.ERROR
    needs = Needs.RUN
    basis = Basis.WEIGHTS
    hint = "Save the full (gathered) adapter from the trained model, and resume from the last good checkpoint."

    def check(self, ctx: RuleContext) -> Iterator[Finding]:
        facts = ctx.regression
        if facts.zeroed:
            first = facts.zeroed[0]
            layers = [z.module for z in facts.zeroed]
            yield self.finding(
                ctx,
                f"{plural(len(layers), 'layer')} of adapter {first.adapter!r} {verb(len(layers), 'has')} lora_B all zero in {facts.stage} "
                f"although {facts.earlier} had trained them (e.g. {first.module}): the checkpoint lost their training",
                adapter=first.adapter,
                module=first.module,
                parameter=first.key,
                file=first.file,
                hint=f"Resume from {facts.earlier}; check that the model saved is the trained one, not a rebuilt copy.",
                evidence={"layers": layers, "earlier": facts.earlier, "stage": facts.stage},
            )
        for gap in facts.shard_gaps:
            size = gap.rows // gap.world_size
            blocks = ", ".join(f"rows {i * size}-{(i + 1) * size - 1}" for i in gap.zero_blocks)
            yield self.finding(
                ctx,
                f"{gap.module} lora_B in {facts.stage} is zero in {blocks} of {gap.rows}: whole blocks of "
                f"{gap.rows}/{gap.world_size} rows, as when a {gap.world_size}-process sharded job saves one rank's shard",
                adapter=gap.adapter,
                module=gap.module,
                parameter=gap.key,
                file=gap.file,
                evidence={"rows": gap.rows, "world_size": gap.world_size, "zero_blocks": list(gap.zero_blocks)},
            )


@hookimpl
def lora_lint_register_rules(register: RegisterRule) -> None:
    register(AdapterRegressed)
