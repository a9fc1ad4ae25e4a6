"""The benchmark code paths at a tiny size: they build, lint and measure what they claim to (no timing targets here)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from benchmarks import artifact, probe_vs_step, startup, structure
from benchmarks._measure import MB, ROOT, Row, measure, table


def test_measure_sees_the_peak_of_memory_that_is_freed_before_it_returns() -> None:
    def allocate_and_free() -> int:
        block = bytearray(64 * MB)
        return len(block)

    sample = measure(allocate_and_free)
    assert sample.result == 64 * MB
    assert sample.peak_growth >= 60 * MB, sample


def test_table_marks_each_row_pass_miss_or_informational() -> None:
    rows = [Row("1", "a", "1.0", "<= 1.2", True), Row("2", "b", "2.0", "<= 1.0", False), Row("5", "c", "3 s", "", None)]
    lines = table(rows).splitlines()
    assert lines[0].split() == ["fig", "measurement", "value", "target", "result"]
    assert [line.split()[-1] for line in lines[2:]] == ["PASS", "MISS", "-"]


@pytest.mark.parametrize("op", ["step", "lint"])
def test_training_step_and_lint_run_on_the_same_tiny_lora_model(op: str) -> None:
    result = probe_vs_step.child(op, "tiny", "cpu")
    if op == "lint":
        assert result["result"] == 0, "the benchmark model must be a clean setup: no findings"
    else:
        assert result["result"] > 0  # a cross-entropy loss over 256 tokens


def test_structure_check_of_a_70b_config_with_two_layers_never_initialises_adapters(tmp_path: Path) -> None:
    import torch

    # torch internal (stable since 2.0): sees every op below the Python layer
    from torch.utils._python_dispatch import TorchDispatchMode
    from torch.utils._pytree import tree_leaves

    from lora_lint.settings import Settings
    from lora_lint.sources.model_config import load_model_config

    class CountMaterialised(TorchDispatchMode):
        """Elements of every tensor an op creates or fills outside the meta device."""

        def __init__(self) -> None:
            super().__init__()
            self.elements = 0

        def __torch_dispatch__(self, func, types, args=(), kwargs=None):  # type: ignore[no-untyped-def]
            out = func(*args, **(kwargs or {}))
            self.elements += sum(t.numel() for t in tree_leaves(out) if isinstance(t, torch.Tensor) and not t.is_meta)
            return out

    model_dir, lora_file = structure.write_case(tmp_path, structure.LLAMA3_70B, structure.ALL_LINEAR, layers=2)
    assert structure.check(model_dir, lora_file) == 0
    counter = CountMaterialised()
    with counter:
        setup = load_model_config("bench", model_dir, lora_file, Settings(device="cpu"), {})
    adapters = [p for n, p in setup.model.named_parameters() if "lora_" in n]
    assert len(adapters) == 2 * 7 * 2  # lora_A and lora_B on 7 linear layers in each of 2 layers
    assert all(p.is_meta for p in adapters)
    # peft internal: with low_cpu_mem_usage each adapter tensor is allocated once and moved to meta;
    # initialising them (kaiming for lora_A, zeros for lora_B) would add two more passes over each
    assert counter.elements < 2 * sum(p.numel() for p in adapters)


def test_scale_child_times_every_depth_in_every_round() -> None:
    result = structure.scale_child("llama2-7b-qv", [1, 2], repeat=2)
    assert sorted(result["times"]) == [1, 2]
    assert all(len(t) == 2 for t in result["times"].values())


def test_artifact_check_reads_an_adapter_of_the_benchmark_layout(tmp_path: Path) -> None:
    size = artifact.write_adapter(tmp_path / "adapter", layers=2, rank=4, scale=64)
    assert size > 2 * 7 * 2 * 4 * 64 * 4  # every tensor written, float32
    assert artifact.check(tmp_path / "adapter") == 0


def test_heavy_import_detector_sees_torch_and_not_its_absence() -> None:
    assert startup.imported_heavy([sys.executable, "-c", "import click"]) == []
    assert startup.imported_heavy([sys.executable, "-c", "import torch"]) == ["torch"]
    assert startup.imported_heavy([*startup.lora_lint_exe(), "--help"]) == []


def test_run_script_rejects_an_unknown_figure() -> None:
    proc = subprocess.run(
        [sys.executable, str(ROOT / "benchmarks" / "run.py"), "--only", "99"], capture_output=True, text=True, check=False
    )
    assert proc.returncode == 2
    assert "unknown figure(s) 99" in proc.stderr
