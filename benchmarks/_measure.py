"""Measuring helpers for the benchmarks: wall time, peak RSS growth, child processes and the result table.

Peak memory is the kernel's own high-water mark (``VmHWM`` in ``/proc/self/status``), reset right
before the measured operation by writing ``5`` to ``/proc/self/clear_refs``; a sampling thread backs
it up where the reset is not allowed. Growth is that peak minus the resident set size just before the
operation. Children run with glibc's mmap threshold fixed (``MALLOC_MMAP_THRESHOLD_``), so large
tensors freed by a warm-up go back to the operating system instead of hiding the next peak, and
with one compute thread (``OMP_NUM_THREADS=1``, override with ``run.py --threads``).
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
_PAGE = os.sysconf("SC_PAGE_SIZE")
MB = 2**20

#: environment of every measured child: quiet libraries, no network, freed tensors returned to the OS
CHILD_ENV = {
    "HF_HUB_OFFLINE": "1",
    "TRANSFORMERS_VERBOSITY": "error",
    "TOKENIZERS_PARALLELISM": "false",
    "MALLOC_MMAP_THRESHOLD_": str(1 * MB),
    "PYTHONWARNINGS": "ignore",
    # one compute thread: on a shared machine, OpenMP threads that wait on a busy core slow an
    # operation tenfold at random; both sides of a ratio run with the same setting
    "OMP_NUM_THREADS": "1",
    "MKL_NUM_THREADS": "1",
}


def child_env(extra: dict[str, str] | None = None) -> dict[str, str]:
    env = {**os.environ, **CHILD_ENV, **(extra or {})}
    # an installed package runs from cached bytecode; compiling lora_lint on every start is not its cost
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(ROOT), env.get("PYTHONPATH", "")) if p)
    return env


# -- memory ----------------------------------------------------------------------------------------


def rss_bytes() -> int:
    """Resident set size of this process now."""
    with open("/proc/self/statm") as fh:
        return int(fh.read().split()[1]) * _PAGE


def _hwm_bytes() -> int:
    with open("/proc/self/status") as fh:
        for line in fh:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) * 1024
    return 0


def _reset_hwm() -> bool:
    """Reset the kernel's peak-RSS counter to the current RSS (Linux >= 4.0); False where not allowed."""
    try:
        with open("/proc/self/clear_refs", "w") as fh:
            fh.write("5")
    except OSError:
        return False
    return True


@dataclass
class Sample:
    """One measured run: wall seconds, peak RSS above the RSS just before it, and what it returned."""

    seconds: float
    peak_growth: int
    result: Any = None
    how: str = "VmHWM"


def measure(fn: Callable[[], Any], interval: float = 0.001) -> Sample:
    """Run ``fn`` once; return its wall time and its peak RSS growth above the RSS it started from."""
    start_rss = rss_bytes()
    exact = _reset_hwm()
    peak = start_rss
    done = threading.Event()

    def sampler() -> None:
        nonlocal peak
        while not done.is_set():
            peak = max(peak, rss_bytes())
            time.sleep(interval)

    thread = None
    if not exact:
        thread = threading.Thread(target=sampler, daemon=True)
        thread.start()
    t0 = time.perf_counter()
    try:
        result = fn()
    finally:
        elapsed = time.perf_counter() - t0
        done.set()
        if thread is not None:
            thread.join()
    peak = max(peak, rss_bytes(), _hwm_bytes() if exact else 0)
    return Sample(elapsed, max(0, peak - start_rss), result, "VmHWM" if exact else "sampled")


# -- child processes -------------------------------------------------------------------------------


def run_child(module: str, *args: str, timeout: float = 300, env: dict[str, str] | None = None) -> dict[str, Any]:
    """Run ``python -m benchmarks.<module> --child ARGS`` in a fresh process; its last stdout line is JSON."""
    argv = [sys.executable, "-m", f"benchmarks.{module}", "--child", *args]
    proc = subprocess.run(argv, check=False, cwd=ROOT, capture_output=True, text=True, timeout=timeout, env=child_env(env))
    if proc.returncode != 0:
        raise RuntimeError(f"{' '.join(argv[2:])} failed ({proc.returncode}):\n{proc.stderr[-3000:]}")
    lines = [line for line in proc.stdout.splitlines() if line.startswith("{")]
    if not lines:
        raise RuntimeError(f"{' '.join(argv[2:])} printed no result:\n{proc.stdout[-2000:]}{proc.stderr[-2000:]}")
    result: dict[str, Any] = json.loads(lines[-1])
    return result


def emit(result: dict[str, Any]) -> None:
    """What a child prints last: one JSON line for ``run_child``."""
    sys.stdout.write(json.dumps(result) + "\n")
    sys.stdout.flush()


def command_seconds(argv: Sequence[str], env: dict[str, str] | None = None) -> float:
    """Wall time of one whole command, process start included; its output is discarded."""
    t0 = time.perf_counter()
    proc = subprocess.run(argv, check=False, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env)
    elapsed = time.perf_counter() - t0
    if proc.returncode not in (0, 1):  # 1: findings, still a complete run
        raise RuntimeError(f"{' '.join(argv)} exited {proc.returncode}: {proc.stderr.decode()[-2000:]}")
    return elapsed


def median(values: Iterable[float]) -> float:
    return statistics.median(list(values))


def load_average() -> float:
    return os.getloadavg()[0]


# -- the result table ------------------------------------------------------------------------------


@dataclass
class Row:
    """One figure: what was measured, its value, the target and whether it is met."""

    figure: str
    name: str
    value: str
    target: str
    passed: bool | None  # None: informational, no target
    detail: dict[str, Any] = field(default_factory=dict)

    @property
    def verdict(self) -> str:
        return "-" if self.passed is None else "PASS" if self.passed else "MISS"


def table(rows: Sequence[Row]) -> str:
    """A plain-text table, one row per figure."""
    head = ("fig", "measurement", "value", "target", "result")
    cells = [head, *((r.figure, r.name, r.value, r.target, r.verdict) for r in rows)]
    widths = [max(len(c[i]) for c in cells) for i in range(len(head))]
    lines = ["  ".join(c[i].ljust(widths[i]) for i in range(len(head))).rstrip() for c in cells]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines)


def fmt_mb(n: float) -> str:
    return f"{n / MB:.1f} MB"


__all__ = [
    "MB",
    "ROOT",
    "Row",
    "Sample",
    "child_env",
    "command_seconds",
    "emit",
    "fmt_mb",
    "load_average",
    "measure",
    "median",
    "rss_bytes",
    "run_child",
    "table",
]
