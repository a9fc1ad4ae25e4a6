"""LORA804: a model dispatched with a device_map across devices in a job of several data-parallel processes."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

from lora_lint.findings import Basis, Finding, Severity
from lora_lint.hookspecs import RegisterRule
from lora_lint.plugins import hookimpl
from lora_lint.rules._base import Needs, Rule

if TYPE_CHECKING:
    from lora_lint.context import RuleContext


class DeviceMapUnderDdp(Rule):
    """
    ## What it does
    Reads the model's `hf_device_map` (set by `from_pretrained(device_map=...)` or accelerate's
    `dispatch_model`) and reports when it spreads the model over more than one device while the job
    runs several data-parallel processes: the world size from the accelerate config's `num_processes`
    (or `num_machines`), or the `WORLD_SIZE` that `torchrun` sets.

    ## Why is this bad?
    `device_map="auto"` splits one copy of the model across the GPUs (naive pipeline parallelism). Under
    DDP each process expects its own whole copy on its own device: every process dispatches the model
    over all GPUs, they fight for the same memory, and DDP refuses a multi-device module or replicates
    offloaded weights. It fails (or runs out of memory) only after every process has loaded the model.

    ## Example
    ```python
    # accelerate launch --num_processes 2 train.py
    model = AutoModelForCausalLM.from_pretrained(name, device_map="auto")
    ```

    ## Use instead
    ```python
    from accelerate import PartialState
    model = AutoModelForCausalLM.from_pretrained(name, device_map={"": PartialState().process_index})
    ```
    or run one process (no DDP) when the model must be split across GPUs.

    ## References
    - transformers docs, "Big model inference" (`device_map`); accelerate `PartialState().process_index`
    """

    code = "LORA804"
    name = "device-map-under-ddp"
    severity = Severity.ERROR
    needs = Needs.LAUNCH | Needs.MODEL
    basis = Basis.STRUCTURE
    hint = 'Load one whole copy per process: device_map={"": PartialState().process_index}, or run a single process.'

    def check(self, ctx: RuleContext) -> Iterator[Finding]:
        world = ctx.launch.world_size
        devices = ctx.placement.devices
        if world is None or world.value <= 1 or len(devices) <= 1:
            return
        where = f"{world.key} in {world.file}" if world.file else f"{world.key} in the environment"
        yield self.finding(
            ctx,
            f"the model is dispatched over {len(devices)} devices ({', '.join(devices)}) by its device_map, "
            f"and the job runs {world.value} data-parallel processes ({where}): each process would place "
            "its copy across the same devices",
            setting="device_map",
            file=world.file,
            line=world.line,
            evidence={"devices": list(devices), "world_size": world.value},
        )


@hookimpl
def lora_lint_register_rules(register: RegisterRule) -> None:
    register(DeviceMapUnderDdp)
