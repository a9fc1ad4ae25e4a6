"""Figures 2 and 5: structure lint on the meta device from config.json alone, and how it grows with depth.

Each measurement is one fresh process that imports lora-lint, torch, transformers and peft, runs the
same ``lora-lint check --model DIR --lora-config FILE`` once on a 2-layer model of the same
architecture (imports and lazily loaded modules out of the way), then times the real one in process
through the CLI's own entry point and records its peak RSS above the RSS before it.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import math
import sys
import tempfile
from pathlib import Path
from typing import Any

from benchmarks._measure import Row, fmt_mb, measure, median, run_child

MB = 2**20

LLAMA2_7B = {
    "architectures": ["LlamaForCausalLM"],
    "model_type": "llama",
    "hidden_size": 4096,
    "intermediate_size": 11008,
    "num_hidden_layers": 32,
    "num_attention_heads": 32,
    "num_key_value_heads": 32,
    "vocab_size": 32000,
    "max_position_embeddings": 4096,
    "rms_norm_eps": 1e-5,
    "tie_word_embeddings": False,
    "torch_dtype": "float16",
}
LLAMA3_70B = {
    **LLAMA2_7B,
    "hidden_size": 8192,
    "intermediate_size": 28672,
    "num_hidden_layers": 80,
    "num_attention_heads": 64,
    "num_key_value_heads": 8,
    "vocab_size": 128256,
    "max_position_embeddings": 8192,
    "rope_theta": 500000.0,
    "torch_dtype": "bfloat16",
}
QV = {"r": 16, "lora_alpha": 32, "target_modules": ["q_proj", "v_proj"], "task_type": "CAUSAL_LM"}
ALL_LINEAR = {"r": 16, "lora_alpha": 32, "target_modules": "all-linear", "task_type": "CAUSAL_LM"}
CASES = {
    "llama2-7b-qv": (LLAMA2_7B, QV, 1.0),
    "llama3-70b-all-linear": (LLAMA3_70B, ALL_LINEAR, 3.0),
}
RSS_LIMIT = 300 * MB
SCALE_LAYERS = (2, 8, 32, 80)


def write_case(folder: Path, config: dict[str, Any], lora: dict[str, Any], layers: int | None = None) -> tuple[Path, Path]:
    """A model folder holding only config.json, and a LoRA config file beside it."""
    model_dir = folder / "model"
    model_dir.mkdir(parents=True, exist_ok=True)
    cfg = dict(config) if layers is None else {**config, "num_hidden_layers": layers}
    (model_dir / "config.json").write_text(json.dumps(cfg))
    lora_file = folder / "lora.json"
    lora_file.write_text(json.dumps(lora))
    return model_dir, lora_file


def check(model_dir: Path, lora_file: Path) -> int:
    """``lora-lint check --model DIR --lora-config FILE`` in this process, report discarded; its exit code."""
    from lora_lint.cli import main

    argv = ["check", "--model", str(model_dir), "--lora-config", str(lora_file), "--format", "json"]
    with contextlib.redirect_stdout(io.StringIO()):
        code = main(argv, standalone_mode=False)
    return int(code or 0)


def child(case: str, layers: int | None) -> dict[str, Any]:
    """One timed check after a 2-layer warm-up of the same architecture (all imports done)."""
    config, lora, _ = CASES[case]
    import lora_lint.cli  # noqa: F401  imports before timing

    with tempfile.TemporaryDirectory() as tmp:
        warm = write_case(Path(tmp) / "warm", config, lora, layers=2)
        check(*warm)
        real = write_case(Path(tmp) / "real", config, lora, layers=layers)
        sample = measure(lambda: check(*real))
    return {"seconds": sample.seconds, "peak_growth": sample.peak_growth, "exit": sample.result, "how": sample.how}


def scale_child(case: str, depths: list[int], repeat: int) -> dict[str, Any]:
    """Seconds per depth, ``repeat`` rounds interleaved across depths in one process after a warm-up."""
    config, lora, _ = CASES[case]
    import lora_lint.cli  # noqa: F401  imports before timing

    times: dict[int, list[float]] = {n: [] for n in depths}
    with tempfile.TemporaryDirectory() as tmp:
        folders = {n: write_case(Path(tmp) / str(n), config, lora, layers=n) for n in depths}
        check(*folders[depths[0]])
        for _ in range(repeat):
            for n in depths:
                times[n].append(measure(lambda n=n: check(*folders[n])).seconds)
    return {"times": times}


def figure2(repeat: int = 3) -> list[Row]:
    rows = []
    for case, (_, _, limit) in CASES.items():
        runs = [run_child("structure", case) for _ in range(repeat)]
        secs = median(r["seconds"] for r in runs)
        growth = median(r["peak_growth"] for r in runs)
        detail = {"runs": runs}
        rows.append(Row("2", f"{case}: time beyond imports", f"{secs:.2f} s", f"<= {limit:g} s", secs <= limit, detail))
        rows.append(Row("2", f"{case}: peak RSS growth", fmt_mb(growth), "<= 300 MB", growth <= RSS_LIMIT, detail))
    return rows


def figure5(repeat: int = 5, layers: tuple[int, ...] = SCALE_LAYERS, case: str = "llama2-7b-qv") -> list[Row]:
    """Time by depth; 'linear or better' means the log-log slope between the two deepest is <= 1.15.

    The fastest of ``repeat`` interleaved rounds stands for each depth: other load on the machine
    only ever adds time, and it would otherwise decide the slope.
    """
    spec = ",".join(map(str, layers))
    runs = run_child("structure", case, "--scale", spec, "--repeat", str(repeat))["times"]
    times = {n: min(runs[str(n)]) for n in layers}
    rows = [Row("5", f"{case}, {n} layers", f"{t:.3f} s", "", None) for n, t in times.items()]
    a, b = layers[-2], layers[-1]
    slope = math.log(times[b] / times[a]) / math.log(b / a)
    per_layer = ", ".join(f"{n}: {1000 * t / n:.1f}" for n, t in times.items())
    rows.append(
        Row("5", f"time growth {a}->{b} layers, log-log slope (ms/layer {per_layer})", f"{slope:.2f}",
            "<= 1.15", slope <= 1.15, {"times": runs})
    )  # fmt: skip
    return rows


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--child", action="store_true")
    parser.add_argument("case", nargs="?", choices=sorted(CASES))
    parser.add_argument("--layers", type=int)
    parser.add_argument("--scale", help="comma-separated depths, timed in one process")
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args(argv)
    if args.child:
        from benchmarks._measure import emit

        if args.scale:
            emit(scale_child(args.case, [int(n) for n in args.scale.split(",")], args.repeat))
        else:
            emit(child(args.case, args.layers))
        return
    from benchmarks._measure import table

    print(table(figure2() + figure5()))


if __name__ == "__main__":
    sys.exit(main())
