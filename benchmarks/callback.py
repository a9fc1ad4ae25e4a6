"""What ``LoraLintCallback`` costs a real ``Trainer`` run, against its targets.

Two runs of the same seeded LoRA Llama (the 106M model of ``probe_vs_step``) for 22 optimizer steps: one
plain, one guarded. Printed: the callback's train-begin lint and its first-step check as multiples of one
training step of the same run (the median of its 20 later steps; targets <= 1.2x and <= 0.1x), and the
median of those 20 steps against the plain run's (target: within noise, and no hook left on the model).

    python benchmarks/callback.py [--size 100m|tiny]
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path
from typing import Any

if __package__ in (None, ""):  # `python benchmarks/callback.py`: make the repository importable
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks._measure import Row, median, table
from benchmarks.probe_vs_step import SIZES, build

BEGIN_LIMIT = 1.2
CHECK_LIMIT = 0.1
#: later steps may differ by this much from the plain run's: scheduling noise on a shared machine
NOISE = 0.10
STEPS = 22


def _hooks(model: Any) -> int:
    return sum(
        len(m._forward_hooks) + len(m._forward_pre_hooks) + len(m._backward_hooks) for m in model.modules()
    ) + sum(len(p._backward_hooks or {}) for p in model.parameters())


def run(size: str, guarded: bool, tmp: str) -> dict[str, Any]:
    from transformers import Trainer, TrainerCallback, TrainingArguments

    from lora_lint.integrations.transformers import LoraLintCallback

    model, batch, _ = build(size, "cpu")
    rows = [{k: v[i % v.shape[0]].tolist() for k, v in batch.items()} for i in range(STEPS * batch["input_ids"].shape[0])]
    spans: dict[str, float] = {}
    steps: list[float] = []

    class Clock(TrainerCallback):  # type: ignore[misc]
        def on_step_begin(self, *a: Any, **k: Any) -> None:
            spans["step"] = time.perf_counter()

        def on_step_end(self, *a: Any, **k: Any) -> None:
            steps.append(time.perf_counter() - spans["step"])

    class TimedGuard(LoraLintCallback):
        def on_train_begin(self, *a: Any, **k: Any) -> None:
            start = time.perf_counter()
            super().on_train_begin(*a, **k)
            spans["begin"] = time.perf_counter() - start

        def on_pre_optimizer_step(self, *a: Any, **k: Any) -> None:
            start = time.perf_counter()
            super().on_pre_optimizer_step(*a, **k)
            spans["check"] = spans.get("check", 0.0) + time.perf_counter() - start

        def on_optimizer_step(self, *a: Any, **k: Any) -> None:
            start = time.perf_counter()
            super().on_optimizer_step(*a, **k)
            if len(steps) == 0:
                spans["check"] = spans.get("check", 0.0) + time.perf_counter() - start

    callbacks = [Clock(), TimedGuard(on_error="warn")] if guarded else [Clock()]
    args = TrainingArguments(
        output_dir=tmp, max_steps=STEPS, per_device_train_batch_size=batch["input_ids"].shape[0], learning_rate=1e-4,
        save_strategy="no", report_to=[], use_cpu=True, disable_tqdm=True, logging_steps=1000,
    )
    Trainer(model=model, args=args, train_dataset=rows, callbacks=callbacks).train()
    return {"steps": steps, "hooks": _hooks(model), **spans}


def main(argv: list[str] | None = None) -> None:
    import tempfile

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", choices=sorted(SIZES), default="100m")
    size = parser.parse_args(argv).size
    with tempfile.TemporaryDirectory() as tmp:
        plain = run(size, False, tmp)
        guarded = run(size, True, tmp)
    step = median(plain["steps"][2:])
    later = median(guarded["steps"][2:])
    # the lint and the check are measured against the guarded run's own later steps: the same process,
    # minutes apart at most, so load from other processes on a shared machine weighs on both sides alike
    where = f"{size} Llama, cpu"
    rows = [
        Row("callback", f"train-begin lint / one step ({where})", f"{guarded['begin'] / later:.2f}x",
            f"<= {BEGIN_LIMIT}x", guarded["begin"] / later <= BEGIN_LIMIT),
        Row("callback", f"first-step check / one step ({where})", f"{guarded['check'] / later:.3f}x",
            f"<= {CHECK_LIMIT}x", guarded["check"] / later <= CHECK_LIMIT),
        Row("callback", f"median of {STEPS - 2} later steps, guarded / plain", f"{later / step:.3f}x",
            f"1 +- {NOISE}", abs(later / step - 1) <= NOISE),
        Row("callback", "hooks left on the model, guarded vs plain", f"{guarded['hooks']} vs {plain['hooks']}",
            "equal", guarded["hooks"] == plain["hooks"]),
    ]
    print(table(rows))


if __name__ == "__main__":
    main()
