"""LORA805: the processes of one job disagree on what the adapters are or which of them train."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

from lora_lint.findings import Basis, Finding, Severity
from lora_lint.hookspecs import RegisterRule
from lora_lint.plugins import hookimpl
from lora_lint.rules._base import Needs, Rule

if TYPE_CHECKING:
    from lora_lint.context import RuleContext


class RanksDisagree(Rule):
    """
    ## What it does
    Run inside a process group (`torchrun`, `accelerate launch`), compares the ranks: an adapter that
    received gradient in the probe on some ranks but not on others, and adapter weights that differ
    between ranks before the first step (a cheap fingerprint of each replicated `lora_A`/`lora_B`).

    ## Why is this bad?
    Data-parallel training assumes every rank holds the same model and runs the same graph. Adapters
    built under a different seed on each rank, without DDP's broadcast (`sync_module_states=False`,
    a hand-rolled loop), train different models that never converge to one; an adapter that takes part
    on some ranks only (a rank-dependent branch, a detach on one code path) leaves DDP waiting for a
    gradient that never comes, or averages it with zeros. Neither is visible from one process.

    ## Example
    ```python
    torch.manual_seed(int(os.environ["RANK"]))   # a different seed per rank
    model = get_peft_model(base, config)        # lora_A differs on every rank
    ```

    ## Use instead
    ```python
    torch.manual_seed(1234)                      # one seed for the model on every rank
    model = get_peft_model(base, config)        # seed the data order per rank instead
    ```
    or wrap with DDP / FSDP `sync_module_states=True`, which broadcasts rank 0's weights.

    ## References
    - PyTorch docs, "DistributedDataParallel" (module states broadcast from rank 0)
    """

    code = "LORA805"
    name = "ranks-disagree"
    severity = Severity.ERROR
    needs = Needs.MODEL | Needs.WEIGHTS
    basis = Basis.PROBE
    hint = "Build the model under one seed on every rank (or broadcast rank 0's weights) and run the same graph everywhere."

    def check(self, ctx: RuleContext) -> Iterator[Finding]:
        agreement = ctx.ranks
        for p in agreement.partial_grads:
            ranks = ", ".join(str(r) for r in p.ranks_with_grad)
            yield self.finding(
                ctx,
                f"{p.layer} (adapter {p.adapter!r}) receives gradient on rank {ranks} only, "
                f"of {agreement.world_size} ranks",
                module=p.layer,
                adapter=p.adapter,
                evidence={"ranks_with_grad": list(p.ranks_with_grad), "world_size": agreement.world_size},
            )
        if agreement.differing_weights:
            names = agreement.differing_weights
            shown = ", ".join(names[:3]) + (f" and {len(names) - 3} more" if len(names) > 3 else "")
            yield self.finding(
                ctx,
                f"adapter weights differ across the {agreement.world_size} ranks before the first step: {shown}",
                parameter=names[0],
                evidence={"parameters": list(names), "world_size": agreement.world_size},
            )


@hookimpl
def lora_lint_register_rules(register: RegisterRule) -> None:
    register(RanksDisagree)
