"""One rank of a job that calls ``lora_lint.lint()`` itself, inside the process group it initialised (gloo).

Prints one JSON line per call: what that rank's report holds (findings, exit status), or the error the call
raised. The last calls show that a failure on one rank is every rank's failure, and that the group is
usable by lint() again afterwards.
"""

from __future__ import annotations

import json
from typing import Any


def _line(rank: int, call: str, **fields: Any) -> None:
    print(json.dumps({"rank": rank, "call": call, **fields}), flush=True)


def main() -> None:
    import torch.distributed as dist
    from torch.nn.parallel import DistributedDataParallel

    import lora_lint
    from lora_lint.errors import LoraLintError
    from tests.distributed.factories import _dead, _leak
    from tests.tiny_models import llama, lora

    dist.init_process_group("gloo")
    rank = dist.get_rank()
    models: dict[str, Any] = {
        "clean": lambda: lora(llama()),
        "dead": lambda: _dead(lora(llama())),
        "leak": lambda: _leak(lora(llama())),
        # rank 1 detaches an adapter: only the job as a whole can see that it trains on rank 0 only
        "rank_zero_only": lambda: _dead(lora(llama())) if rank == 1 else lora(llama()),
    }
    for call, make in models.items():
        report = lora_lint.lint(DistributedDataParallel(make()))
        found = [[f.code, f.message] for f in report.findings]
        _line(rank, call, findings=found, exit=report.exit_code())
    model = DistributedDataParallel(lora(llama()))  # built on both ranks: DDP's constructor is a collective
    try:  # rank 1 passes nothing: its usage error must stop rank 0's lint too
        lora_lint.lint(None if rank == 1 else model)
        _line(rank, "one_rank_fails", error=None)
    except LoraLintError as exc:
        _line(rank, "one_rank_fails", error=f"{type(exc).__name__}: {exc}")
    report = lora_lint.lint(DistributedDataParallel(lora(llama())))
    _line(rank, "after_failure", findings=[f.code for f in report.findings], exit=report.exit_code())
    dist.destroy_process_group()


if __name__ == "__main__":
    main()
