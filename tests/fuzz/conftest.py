"""Run the CLI in-process on hostile input and judge the answer: exit status, one line, no internal text."""

from __future__ import annotations

import contextlib
import io
import json
import time
from dataclasses import dataclass
from pathlib import Path

import pytest

#: words that only appear when an internal exception leaks to the user
INTERNAL = ("Traceback", "Error:", "object is not", "object has no attribute", "unhashable", "not iterable",
            "not subscriptable", "KeyError", "unsupported operand", "NoneType")  # fmt: skip


@dataclass
class Answer:
    rc: int
    out: str
    err: str
    seconds: float


def cli(*args: str) -> Answer:
    """``lora-lint ARGS`` in this process (click's standalone handling included), stdout and stderr captured."""
    from lora_lint.cli import main

    out, err = io.StringIO(), io.StringIO()
    start = time.perf_counter()
    rc = 0
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            main.main(list(args), prog_name="lora-lint")
        except SystemExit as exc:
            rc = exc.code if isinstance(exc.code, int) else 1
    return Answer(rc, out.getvalue(), err.getvalue(), time.perf_counter() - start)


def assert_refused(answer: Answer, *names: str, budget: float = 20.0) -> str:
    """Exit 2, one line on stderr naming every one of ``names``, no internal exception text, in time."""
    lines = answer.err.strip().splitlines()
    assert answer.rc == 2, (answer.rc, answer.err, answer.out[-500:])
    assert len(lines) == 1, answer.err
    line = lines[0]
    for word in INTERNAL:
        assert word not in line.replace("LoraConfig", "").replace("SetupLoadError", ""), line
    for name in names:
        assert name in line, (name, line)
    assert answer.seconds < budget, answer.seconds
    return line


def assert_machine_output(answer: Answer, fmt: str) -> None:
    """JSON and SARIF stdout parse whatever happened."""
    if fmt in ("json", "sarif") and answer.out.strip():
        json.loads(answer.out)


@pytest.fixture(autouse=True)
def _restore_import_state(restore_import_state: None) -> None:
    """In-process CLI runs leave sys.path and sys.modules as they were."""


def write(path: Path, text: str | bytes) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text)
    return path


#: a saved LoRA adapter's config as peft writes it (no base named: nothing to resolve)
ADAPTER_CONFIG = {"peft_type": "LORA", "r": 4, "lora_alpha": 8, "target_modules": ["q_proj", "v_proj"],
                  "lora_dropout": 0.0, "bias": "none", "task_type": "CAUSAL_LM", "inference_mode": True}  # fmt: skip


def lora_tensors(layers: int = 2, r: int = 4, width: int = 16) -> dict[str, object]:
    """peft's saved key layout for q_proj/v_proj adapters, values drawn so nothing looks untrained."""
    import numpy as np

    rng = np.random.default_rng(0)
    tensors: dict[str, object] = {}
    for layer in range(layers):
        for module in ("q_proj", "v_proj"):
            stem = f"base_model.model.model.layers.{layer}.self_attn.{module}"
            tensors[f"{stem}.lora_A.weight"] = rng.standard_normal((r, width)).astype(np.float32)
            tensors[f"{stem}.lora_B.weight"] = rng.standard_normal((width, r)).astype(np.float32)
    return tensors


def write_adapter(folder: Path, config: dict[str, object] | None = None, tensors: dict[str, object] | None = None) -> Path:
    """A saved adapter folder written with safetensors' numpy API (no torch, no training)."""
    from safetensors.numpy import save_file

    folder.mkdir(parents=True, exist_ok=True)
    (folder / "adapter_config.json").write_text(json.dumps(ADAPTER_CONFIG if config is None else config))
    save_file(lora_tensors() if tensors is None else tensors, str(folder / "adapter_model.safetensors"))  # type: ignore[arg-type]
    return folder
