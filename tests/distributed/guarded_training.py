"""One rank of a two-process ``Trainer`` run under ``LoraLintCallback`` (gloo on CPU, DDP), started like a
torchrun worker: ``python -m tests.distributed.guarded_training clean|masked_on_rank_1``.

``masked_on_rank_1`` plants the masked-labels bug in rank 1's data only, so rank 0 sees a healthy batch
and must still stop with it. The lora_lint log goes to stderr; the last stdout line is this rank's outcome
as JSON.
"""

from __future__ import annotations

import json
import logging
import os
import sys
import tempfile
from pathlib import Path


def main(case: str) -> None:
    logging.basicConfig(level=logging.WARNING, stream=sys.stderr, format="%(name)s: %(message)s")
    from lora_lint.integrations.transformers import LoraLintCallback
    from tests.callback_trainers import losses, trainer

    rank = int(os.environ["RANK"])
    guard = LoraLintCallback(on_error="stop")
    with tempfile.TemporaryDirectory() as tmp:
        run = trainer(
            Path(tmp), callbacks=[guard], ddp_backend="gloo", mask_labels=case == "masked_on_rank_1" and rank == 1
        )
        run.train()
    codes = sorted({c for r in guard.reports for c in r.codes})
    outcome = {"rank": rank, "steps": run.state.global_step, "codes": codes, "losses": losses(run)}
    print(json.dumps(outcome))


if __name__ == "__main__":
    main(sys.argv[1])
