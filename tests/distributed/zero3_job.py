"""One rank of a DeepSpeed ZeRO-3 job on CPU (gloo): each setup wrapped by ``deepspeed.initialize``, then linted.

Prints one JSON line per setup: its findings, and what the rank held of the adapters before the lint
(``numel()`` of the parameter, its ``ds_shape``, the size of its partition), so the test can tell that the
facts came from the whole tensors while the rank held only an empty parameter and a partition.
"""

from __future__ import annotations

import json
import os
from typing import Any

os.environ.setdefault("DS_ACCELERATOR", "cpu")

from tests.distributed.factories import _dead, _leak  # noqa: E402
from tests.tiny_models import llama, lora  # noqa: E402

#: setups by name; ``values`` keeps peft's random lora_B (init_lora_weights=False): LORA305 reads its values
SETUPS: dict[str, Any] = {
    "clean": lambda: lora(llama()),
    "dead": lambda: _dead(lora(llama())),
    "leak": lambda: _leak(lora(llama())),
    "values": lambda: lora(llama(), init_lora_weights=False),
}

CONFIG = {
    "train_micro_batch_size_per_gpu": 1,
    "gradient_accumulation_steps": 1,
    "zero_optimization": {"stage": 3, "stage3_param_persistence_threshold": 0},
    "optimizer": {"type": "AdamW", "params": {"lr": 1e-4, "torch_adam": True}},
}


def held(engine: Any) -> dict[str, Any]:
    """What this rank holds of one lora_B: an empty parameter, its whole shape, its partition's size."""
    name, p = next((n, p) for n, p in engine.module.named_parameters() if "lora_B" in n)
    return {"name": name, "numel": p.numel(), "ds_shape": list(p.ds_shape), "partition": p.ds_tensor.numel()}


def main() -> None:
    import deepspeed
    import torch.distributed as dist

    import lora_lint

    dist.init_process_group("gloo")
    deepspeed.init_distributed(dist_backend="gloo")
    for name, make in SETUPS.items():
        model = make()
        trainable = [p for p in model.parameters() if p.requires_grad]
        engine, *_ = deepspeed.initialize(model=model, model_parameters=trainable, config=CONFIG)
        seen = held(engine)
        report = lora_lint.lint(engine)
        found = [[f.code, f.message] for f in report.findings]
        print(json.dumps({"setup": name, "held": seen, "findings": found, "exit": report.exit_code()}), flush=True)


if __name__ == "__main__":
    main()
