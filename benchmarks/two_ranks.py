"""Figure 6: lint with the probe in a job of two processes (gloo on CPU, launched as torchrun launches its
workers) next to one distributed training step of the same model, and next to the same lint in one process.

Each side is one fresh job of two processes (or one process): every rank builds the same seeded LoRA
Llama, batch and AdamW optimizer as figure 1, wraps the model in ``DistributedDataParallel``, runs the
operation once as a warm-up, meets the other rank, then runs it again measured (wall time and peak memory
growth, as in figure 1). The job's time is its slowest rank's; memory is compared rank by rank.

- step: one DDP training step (forward, backward with the gradient all-reduce, AdamW step).
- lint: ``lora_lint.lint(ddp_model, batch=batch)`` on every rank: facts and probe combined across ranks,
  one report of the whole job on each.

Targets: lint <= 1.3x the step in time, and no rank's peak memory above 1.1x its
own training-step peak. The one-process lint is shown beside it for what the second process costs.
"""

from __future__ import annotations

import argparse
import gc
import json
import subprocess
import sys
from typing import Any

from benchmarks._measure import ROOT, Row, child_env, emit, fmt_mb, measure, median, run_child
from benchmarks.probe_vs_step import build, run_lint, train_step

TIME_LIMIT = 1.3
MEMORY_LIMIT = 1.1
WORLD = 2


def child(op: str, size: str) -> dict[str, Any]:
    import torch.distributed as dist
    from torch.nn.parallel import DistributedDataParallel

    dist.init_process_group("gloo")
    model, batch, optimizer = build(size, "cpu")
    ddp = DistributedDataParallel(model)
    fn = (lambda: train_step(ddp, batch, optimizer)) if op == "step" else (lambda: run_lint(ddp, batch, "cpu"))
    fn()  # warm-up
    gc.collect()
    dist.barrier()
    sample = measure(fn)
    dist.barrier()
    rank = dist.get_rank()
    dist.destroy_process_group()
    return {"rank": rank, "seconds": sample.seconds,
            "peak_growth": sample.peak_growth, "how": sample.how, "result": sample.result}  # fmt: skip


def run_job(op: str, size: str, timeout: float = 900) -> list[dict[str, Any]]:
    """Both ranks of one job; each prints its measurement as its last JSON line."""
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = str(s.getsockname()[1])
    argv = [sys.executable, "-m", "benchmarks.two_ranks", "--child", op, "--size", size]
    job = {"WORLD_SIZE": str(WORLD), "LOCAL_WORLD_SIZE": str(WORLD), "MASTER_ADDR": "127.0.0.1", "MASTER_PORT": port}
    procs = [
        subprocess.Popen(argv, cwd=ROOT, env=child_env({**job, "RANK": str(r), "LOCAL_RANK": str(r)}),
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        for r in range(WORLD)
    ]  # fmt: skip
    out = []
    for proc in procs:
        stdout, stderr = proc.communicate(timeout=timeout)
        lines = [line for line in stdout.splitlines() if line.startswith("{")]
        if proc.returncode != 0 or not lines:
            raise RuntimeError(f"{' '.join(argv[2:])} failed ({proc.returncode}):\n{stderr[-3000:]}")
        out.append(json.loads(lines[-1]))
    return out


def figure6(repeat: int = 1, size: str = "100m") -> list[Row]:
    runs = []
    for _ in range(repeat):
        step = run_job("step", size)
        lint = run_job("lint", size)
        single = run_child("probe_vs_step", "lint", "--size", size, "--device", "cpu", timeout=900)
        runs.append((step, lint, single))
    slowest = lambda ranks: max(r["seconds"] for r in ranks)  # noqa: E731
    time_ratio = median(slowest(lint) / slowest(step) for step, lint, _ in runs)
    mem_ratio = median(max(ln["peak_growth"] / max(st["peak_growth"], 1) for st, ln in zip(step, lint)) for step, lint, _ in runs)
    step_s = median(slowest(step) for step, _, _ in runs)
    lint_s = median(slowest(lint) for _, lint, _ in runs)
    single_s = median(one["seconds"] for _, _, one in runs)
    lint_m = median(max(r["peak_growth"] for r in lint) for _, lint, _ in runs)
    step_m = median(max(r["peak_growth"] for r in step) for step, _, _ in runs)
    where = f"{size} Llama, 2 gloo ranks, cpu"
    detail = {"runs": runs}
    return [
        Row("6", f"{where}: lint/DDP step wall time ({lint_s:.2f} s / {step_s:.2f} s)", f"{time_ratio:.2f}",
            f"<= {TIME_LIMIT}", time_ratio <= TIME_LIMIT, detail),
        Row("6", f"{where}: lint/DDP step peak memory, worst rank ({fmt_mb(lint_m)} / {fmt_mb(step_m)})",
            f"{mem_ratio:.2f}", f"<= {MEMORY_LIMIT}", mem_ratio <= MEMORY_LIMIT, detail),
        Row("6", f"{where}: lint in 2 ranks / lint in 1 process ({lint_s:.2f} s / {single_s:.2f} s)",
            f"{lint_s / single_s:.2f}", "", None, detail),
    ]  # fmt: skip


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--child", action="store_true")
    parser.add_argument("op", nargs="?", choices=("step", "lint"))
    parser.add_argument("--size", default="100m")
    parser.add_argument("--repeat", type=int, default=1)
    args = parser.parse_args(argv)
    if args.child:
        emit(child(args.op, args.size))
        return
    from benchmarks._measure import load_average, table

    before = load_average()
    print(table(figure6(args.repeat, args.size)))
    print(f"(load average {before:.1f} -> {load_average():.1f})")


if __name__ == "__main__":
    sys.exit(main())
