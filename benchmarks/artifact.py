"""Figure 4: checking a 1 GB saved adapter keeps peak RSS growth under 10% of the file size.

A writer process saves a LoRA adapter for Llama-2-7B dimensions (every linear layer, r=108, float32:
1.08 GB, random values) with safetensors' numpy writer into a temporary folder. A fresh measuring
process imports lora-lint, checks a tiny adapter of the same layout once (imports and lazily loaded
modules out of the way), then runs ``lora-lint check ADAPTER_DIR --no-probe`` in process through the
CLI's entry point (every artifact rule: zero, non-finite, empty and shape checks read every tensor)
and records its peak RSS above the RSS before it. The folder is deleted afterwards.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import shutil
import sys
import tempfile
from pathlib import Path
from typing import Any

from benchmarks._measure import Row, emit, fmt_mb, measure, run_child

#: Llama-2-7B: 32 layers, hidden 4096, intermediate 11008
LAYERS, HIDDEN, INTER = 32, 4096, 11008
PROJ = {
    "self_attn.q_proj": (HIDDEN, HIDDEN),
    "self_attn.k_proj": (HIDDEN, HIDDEN),
    "self_attn.v_proj": (HIDDEN, HIDDEN),
    "self_attn.o_proj": (HIDDEN, HIDDEN),
    "mlp.gate_proj": (HIDDEN, INTER),
    "mlp.up_proj": (HIDDEN, INTER),
    "mlp.down_proj": (INTER, HIDDEN),
}
RANK = 108
LIMIT = 0.10


def write_adapter(folder: Path, layers: int = LAYERS, rank: int = RANK, scale: int = 1) -> int:
    """An adapter folder as peft saves one; returns the size of adapter_model.safetensors in bytes.

    ``scale`` divides every dimension (the smoke test writes a small one with the same layout).
    """
    import numpy as np
    from safetensors.numpy import save_file

    folder.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(0)
    tensors: dict[str, Any] = {}
    for i in range(layers):
        for name, (fan_in, fan_out) in PROJ.items():
            prefix = f"base_model.model.model.layers.{i}.{name}"
            a = rng.standard_normal((rank, fan_in // scale), dtype=np.float32)
            b = rng.standard_normal((fan_out // scale, rank), dtype=np.float32)
            tensors[f"{prefix}.lora_A.weight"] = a * np.float32(0.01)
            tensors[f"{prefix}.lora_B.weight"] = b * np.float32(0.001)
    save_file(tensors, str(folder / "adapter_model.safetensors"))
    config = {
        "peft_type": "LORA",
        "base_model_name_or_path": "meta-llama/Llama-2-7b-hf",
        "task_type": "CAUSAL_LM",
        "r": rank,
        "lora_alpha": 2 * rank,
        "lora_dropout": 0.05,
        "target_modules": sorted(n.split(".")[-1] for n in PROJ),
        "bias": "none",
        "inference_mode": True,
    }
    (folder / "adapter_config.json").write_text(json.dumps(config, indent=2))
    return (folder / "adapter_model.safetensors").stat().st_size


def check(folder: Path) -> int:
    """``lora-lint check FOLDER --no-probe`` in this process, report discarded; its exit code."""
    from lora_lint.cli import main

    with contextlib.redirect_stdout(io.StringIO()):
        code = main(["check", str(folder), "--no-probe", "--format", "json"], standalone_mode=False)
    return int(code or 0)


def child_write(folder: str, layers: int, rank: int, scale: int) -> dict[str, Any]:
    return {"bytes": write_adapter(Path(folder), layers, rank, scale)}


def child_check(folder: str) -> dict[str, Any]:
    import lora_lint.cli  # noqa: F401  imports before timing

    with tempfile.TemporaryDirectory() as tmp:
        warm = Path(tmp) / "warm"
        write_adapter(warm, layers=2, rank=4, scale=64)
        check(warm)
    sample = measure(lambda: check(Path(folder)))
    return {"seconds": sample.seconds, "peak_growth": sample.peak_growth, "exit": sample.result, "how": sample.how}


def figure4(layers: int = LAYERS, rank: int = RANK, scale: int = 1, keep: Path | None = None) -> list[Row]:
    tmp = Path(tempfile.mkdtemp(prefix="lora-lint-bench-"))
    try:
        folder = tmp / "adapter"
        size = run_child("artifact", "write", str(folder), "--layers", str(layers), "--rank", str(rank),
                         "--scale", str(scale), timeout=600)["bytes"]  # fmt: skip
        result = run_child("artifact", "check", str(folder), timeout=600)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    share = result["peak_growth"] / size
    return [
        Row("4", f"check {size / 1e9:.2f} GB adapter: peak RSS growth {fmt_mb(result['peak_growth'])} "
            f"in {result['seconds']:.1f} s (exit {result['exit']})", f"{100 * share:.1f}%", f"< {100 * LIMIT:g}%",
            share < LIMIT, {"bytes": size, **result}),
    ]  # fmt: skip


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--child", action="store_true")
    parser.add_argument("op", nargs="?", choices=("write", "check"))
    parser.add_argument("folder", nargs="?")
    parser.add_argument("--layers", type=int, default=LAYERS)
    parser.add_argument("--rank", type=int, default=RANK)
    parser.add_argument("--scale", type=int, default=1)
    args = parser.parse_args(argv)
    if args.child:
        if args.op == "write":
            emit(child_write(args.folder, args.layers, args.rank, args.scale))
        else:
            emit(child_check(args.folder))
        return
    from benchmarks._measure import table

    print(table(figure4(args.layers, args.rank, args.scale)))


if __name__ == "__main__":
    sys.exit(main())
