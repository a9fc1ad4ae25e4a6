"""Figure 1: a full lint with the probe next to one real training step on the same LoRA model and batch.

Each measurement is one fresh process: it builds the same random-weight Llama (seeded), wraps it with
the same LoRA config, builds the same batch and an AdamW optimizer over the trainable parameters,
runs the operation once as a warm-up (imports, lazily built kernels, AdamW's state), then runs it
again and records wall time and peak memory growth above the memory just before it. Processes for the
two operations alternate, so both see the same load on a shared machine; the ratio of each pair is
taken, and the median ratio is reported.

- step: ``loss = model(**batch).loss; loss.backward(); optimizer.step(); optimizer.zero_grad()``.
- lint: ``lora_lint.lint(model, batch=batch)`` with every rule and the probe (one forward and backward).
"""

from __future__ import annotations

import argparse
import gc
import sys
from typing import Any

from benchmarks._measure import Row, emit, fmt_mb, measure, median, run_child

#: about 106M parameters: 24.6M embedding + 24.6M output head + 8 x 7.1M decoder layers
SIZES: dict[str, dict[str, Any]] = {
    "100m": {"hidden_size": 768, "intermediate_size": 2048, "num_hidden_layers": 8, "num_attention_heads": 12,
             "num_key_value_heads": 12, "vocab_size": 32000, "batch": (2, 256)},
    # TinyLlama dimensions, about 1.1B parameters: the CUDA figure
    "1b": {"hidden_size": 2048, "intermediate_size": 5632, "num_hidden_layers": 22, "num_attention_heads": 32,
           "num_key_value_heads": 4, "vocab_size": 32000, "batch": (4, 512)},
    # for the smoke test
    "tiny": {"hidden_size": 64, "intermediate_size": 128, "num_hidden_layers": 2, "num_attention_heads": 4,
             "num_key_value_heads": 4, "vocab_size": 256, "batch": (2, 8)},
}  # fmt: skip
LORA = {"r": 16, "lora_alpha": 32, "target_modules": "all-linear", "task_type": "CAUSAL_LM"}
TIME_LIMIT = 1.2
MEMORY_LIMIT = 1.1


def build(size: str, device: str) -> tuple[Any, dict[str, Any], Any]:
    """The LoRA model, its batch (labels included) and an AdamW optimizer, identical in every process."""
    import torch
    from peft import LoraConfig, get_peft_model
    from transformers import LlamaConfig, LlamaForCausalLM

    dims = dict(SIZES[size])
    batch_size, seq_len = dims.pop("batch")
    torch.manual_seed(0)
    config = LlamaConfig(**dims, max_position_embeddings=max(seq_len, 64), tie_word_embeddings=False)
    dtype = torch.bfloat16 if device.startswith("cuda") else torch.float32
    base = LlamaForCausalLM(config).to(device=device, dtype=dtype)
    model = get_peft_model(base, LoraConfig(**LORA))
    for p in model.parameters():  # adapters train in float32 (what LORA501 asks for)
        if p.requires_grad:
            p.data = p.data.float()
    ids = torch.randint(0, dims["vocab_size"], (batch_size, seq_len), generator=torch.Generator().manual_seed(1))
    batch = {"input_ids": ids.to(device), "attention_mask": torch.ones_like(ids).to(device), "labels": ids.to(device)}
    optimizer = torch.optim.AdamW([p for p in model.parameters() if p.requires_grad], lr=1e-4)
    return model, batch, optimizer


def train_step(model: Any, batch: dict[str, Any], optimizer: Any) -> float:
    model.train()
    loss = model(**batch).loss
    loss.backward()
    optimizer.step()
    optimizer.zero_grad(set_to_none=True)
    return float(loss.detach())


def run_lint(model: Any, batch: dict[str, Any], device: str) -> int:
    import lora_lint

    report = lora_lint.lint(model, batch=batch, device=device)
    return len(report.findings)


def child(op: str, size: str, device: str) -> dict[str, Any]:
    import torch

    model, batch, optimizer = build(size, device)
    if op == "step":
        fn = lambda: train_step(model, batch, optimizer)
    else:
        fn = lambda: run_lint(model, batch, device)
    fn()  # warm-up
    gc.collect()
    if device.startswith("cuda"):
        torch.cuda.synchronize()
        torch.cuda.reset_peak_memory_stats()
        before = torch.cuda.memory_allocated()

        def timed() -> Any:
            out = fn()
            torch.cuda.synchronize()
            return out

        sample = measure(timed)
        growth = torch.cuda.max_memory_allocated() - before
        return {"seconds": sample.seconds, "peak_growth": growth, "how": "cuda max_memory_allocated", "result": sample.result}
    sample = measure(fn)
    return {"seconds": sample.seconds, "peak_growth": sample.peak_growth, "how": sample.how, "result": sample.result}


def figure1(repeat: int = 3, size: str = "100m", device: str = "cpu") -> list[Row]:
    pairs = []
    for _ in range(repeat):
        step = run_child("probe_vs_step", "step", "--size", size, "--device", device, timeout=600)
        lint = run_child("probe_vs_step", "lint", "--size", size, "--device", device, timeout=600)
        pairs.append((step, lint))
    time_ratio = median(lint["seconds"] / step["seconds"] for step, lint in pairs)
    mem_ratio = median(lint["peak_growth"] / max(step["peak_growth"], 1) for step, lint in pairs)
    step_s = median(s["seconds"] for s, _ in pairs)
    lint_s = median(ln["seconds"] for _, ln in pairs)
    step_m = median(s["peak_growth"] for s, _ in pairs)
    lint_m = median(ln["peak_growth"] for _, ln in pairs)
    where = f"{size} Llama, {device}"
    detail = {"pairs": pairs}
    return [
        Row("1", f"{where}: lint/step wall time ({lint_s:.2f} s / {step_s:.2f} s)", f"{time_ratio:.2f}",
            f"<= {TIME_LIMIT}", time_ratio <= TIME_LIMIT, detail),
        Row("1", f"{where}: lint/step peak memory ({fmt_mb(lint_m)} / {fmt_mb(step_m)})", f"{mem_ratio:.2f}",
            f"<= {MEMORY_LIMIT}", mem_ratio <= MEMORY_LIMIT, detail),
    ]  # fmt: skip


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--child", action="store_true")
    parser.add_argument("op", nargs="?", choices=("step", "lint"))
    parser.add_argument("--size", default="100m", choices=sorted(SIZES))
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args(argv)
    if args.child:
        emit(child(args.op, args.size, args.device))
        return
    from benchmarks._measure import table

    print(table(figure1(args.repeat, args.size, args.device)))


if __name__ == "__main__":
    sys.exit(main())
