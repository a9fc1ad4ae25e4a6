"""Merged-model check of two 1 GB checkpoints: peak RSS growth <= 10% of one checkpoint, time <= 2x one read of both.

A writer process streams a base and a merged checkpoint (Llama-7B-wide q_proj/v_proj layers, float32,
1.07 GB each, random values; merged = base + scale·B·A of a saved r=16 adapter) into a temporary
folder, one tensor at a time. A fresh measuring process warms lora-lint up on a tiny copy of the same
layout, reads both 1 GB files once in 4 MB blocks (the reference; the page cache is then warm for
both sides), then runs ``lora-lint check MERGED --model BASE --adapter ADAPTER --no-probe`` in process
and records its wall time and peak RSS above the RSS before it. The folder is deleted afterwards.

    python -m benchmarks.merged            # 1 GB checkpoints
    python -m benchmarks.merged --scale 16 # a small copy of the same layout
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import shutil
import struct
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from benchmarks._measure import Row, emit, fmt_mb, measure, run_child

HIDDEN, LAYERS, RANK = 4096, 8, 16
LIMIT_RSS, LIMIT_TIME = 0.10, 2.0
_PROJ = ("self_attn.q_proj", "self_attn.v_proj")


def _write_safetensors(path: Path, shapes: dict[str, tuple[int, ...]], make: Any) -> None:
    """A safetensors file written one tensor at a time (``make(name)`` returns float32 values)."""
    header: dict[str, Any] = {}
    offset = 0
    for name, shape in shapes.items():
        size = 4 * shape[0] * shape[1]
        header[name] = {"dtype": "F32", "shape": list(shape), "data_offsets": [offset, offset + size]}
        offset += size
    raw = json.dumps(header).encode()
    raw += b" " * (-len(raw) % 8)
    with path.open("wb") as fh:
        fh.write(struct.pack("<Q", len(raw)) + raw)
        for name in shapes:
            fh.write(make(name).astype("<f4").tobytes())


def write_pair(root: Path, scale: int = 1) -> int:
    """base/, merged/ and adapter/ under ``root``; returns the size of one checkpoint in bytes."""
    import numpy as np

    hidden = HIDDEN // scale
    modules = [f"model.layers.{i}.{p}" for i in range(LAYERS) for p in _PROJ]
    rng = np.random.default_rng(0)
    factors = {m: (rng.standard_normal((RANK, hidden), dtype=np.float32) * 0.01,
                   rng.standard_normal((hidden, RANK), dtype=np.float32) * 0.01) for m in modules}  # fmt: skip
    shapes = {f"{m}.weight": (hidden, hidden) for m in modules}
    config = {"architectures": ["LlamaForCausalLM"], "model_type": "llama", "hidden_size": hidden}
    for name in ("base", "merged", "adapter"):
        (root / name).mkdir(parents=True, exist_ok=True)
    for name in ("base", "merged"):
        (root / name / "config.json").write_text(json.dumps(config))

    def base(key: str) -> Any:
        return np.random.default_rng(abs(hash(key)) % 2**32).standard_normal(shapes[key], dtype=np.float32) * 0.02

    def merged(key: str) -> Any:
        a, b = factors[key.removesuffix(".weight")]
        return base(key) + 2.0 * (b @ a)

    _write_safetensors(root / "base" / "model.safetensors", shapes, base)
    _write_safetensors(root / "merged" / "model.safetensors", shapes, merged)
    adapter_shapes: dict[str, tuple[int, ...]] = {}
    for m in modules:
        adapter_shapes[f"base_model.model.{m}.lora_A.weight"] = (RANK, hidden)
        adapter_shapes[f"base_model.model.{m}.lora_B.weight"] = (hidden, RANK)

    def factor(key: str) -> Any:
        module = key.removeprefix("base_model.model.").rsplit(".lora_", 1)[0]
        return factors[module][0 if ".lora_A." in key else 1]

    _write_safetensors(root / "adapter" / "adapter_model.safetensors", adapter_shapes, factor)
    adapter_config = {"peft_type": "LORA", "r": RANK, "lora_alpha": 2 * RANK, "target_modules": ["q_proj", "v_proj"]}
    (root / "adapter" / "adapter_config.json").write_text(json.dumps(adapter_config))
    return (root / "base" / "model.safetensors").stat().st_size


def check(root: Path) -> int:
    from lora_lint.cli import main

    args = ["check", str(root / "merged"), "--model", str(root / "base"), "--adapter", str(root / "adapter")]
    with contextlib.redirect_stdout(io.StringIO()):
        code = main([*args, "--no-probe", "--format", "json"], standalone_mode=False)
    return int(code or 0)


def read_once(root: Path) -> float:
    """Seconds to read both checkpoints once, in 4 MB blocks."""
    start = time.perf_counter()
    for name in ("base", "merged"):
        with (root / name / "model.safetensors").open("rb") as fh:
            while fh.read(4 * 2**20):
                pass
    return time.perf_counter() - start


def child_check(root: str) -> dict[str, Any]:
    import lora_lint.cli  # noqa: F401  imports before timing

    with tempfile.TemporaryDirectory() as tmp:
        write_pair(Path(tmp), scale=64)
        check(Path(tmp))
    reference = min(read_once(Path(root)) for _ in range(2))
    sample = measure(lambda: check(Path(root)))
    return {"seconds": sample.seconds, "peak_growth": sample.peak_growth, "exit": sample.result, "read_once": reference}


def figure(scale: int = 1) -> list[Row]:
    tmp = Path(tempfile.mkdtemp(prefix="lora-lint-bench-merged-"))
    try:
        size = run_child("merged", "write", str(tmp), "--scale", str(scale), timeout=900)["bytes"]
        result = run_child("merged", "check", str(tmp), timeout=900)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    share, ratio = result["peak_growth"] / size, result["seconds"] / result["read_once"]
    what = f"merged check of two {size / 1e9:.2f} GB checkpoints (exit {result['exit']})"
    return [
        Row("8", f"{what}: peak RSS growth {fmt_mb(result['peak_growth'])}", f"{100 * share:.1f}%",
            f"<= {100 * LIMIT_RSS:g}%", share <= LIMIT_RSS, {"bytes": size, **result}),
        Row("8", f"{what}: {result['seconds']:.2f} s / reading both once {result['read_once']:.2f} s", f"{ratio:.2f}",
            f"<= {LIMIT_TIME:g}", ratio <= LIMIT_TIME, {"bytes": size, **result}),
    ]  # fmt: skip


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--child", action="store_true")
    parser.add_argument("op", nargs="?", choices=("write", "check"))
    parser.add_argument("folder", nargs="?")
    parser.add_argument("--scale", type=int, default=1)
    args = parser.parse_args(argv)
    if args.child:
        if args.op == "write":
            emit({"bytes": write_pair(Path(args.folder), args.scale)})
        else:
            emit(child_check(args.folder))
        return
    from benchmarks._measure import table

    print(table(figure(args.scale)))


if __name__ == "__main__":
    sys.exit(main())
