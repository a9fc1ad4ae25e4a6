"""Start the processes of a job the way torchrun starts its workers (RANK, WORLD_SIZE, MASTER_ADDR/PORT in
the environment, gloo on CPU), each bounded by a timeout."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.cli.cli_processes import ForkedProcess, python_module

REPO = Path(__file__).resolve().parents[2]
Process = subprocess.Popen[str] | ForkedProcess


@dataclass
class Ran:
    rc: int
    out: str
    err: str


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def start(args: list[str], env: dict[str, str]) -> Process:
    """``python ARGS`` in the repository with the launcher's environment plus ``env``; ``-m MODULE`` is forked
    from a process that has torch imported (tests/cli/cli_processes.py), anything else starts afresh."""
    environ = {k: v for k, v in os.environ.items() if k not in ("RANK", "WORLD_SIZE", "LOCAL_RANK", "PYTEST_CURRENT_TEST")}
    environ.update(HF_HUB_OFFLINE="1", OMP_NUM_THREADS="1", PYTHONPATH=str(REPO), **env)
    forked = python_module(args[1], args[2:], REPO, environ) if len(args) >= 2 and args[0] == "-m" else None
    if forked is not None:
        return forked
    return subprocess.Popen(
        [sys.executable, *args], cwd=REPO, env=environ, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )


def start_job(args: list[str], world: int = 2, env: dict[str, str] | None = None) -> list[Process]:
    """``world`` processes of one job on a fresh port, rank 0 first."""
    job = {"WORLD_SIZE": str(world), "LOCAL_WORLD_SIZE": str(world), "MASTER_ADDR": "127.0.0.1",
           "MASTER_PORT": str(free_port()), **(env or {})}  # fmt: skip
    return [start(args, {**job, "RANK": str(r), "LOCAL_RANK": str(r)}) for r in range(world)]


def wait(proc: Process, timeout: float) -> Ran:
    try:
        out, err = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        out, err = proc.communicate()
        pytest.fail(f"a rank did not finish in {timeout}s:\n{err[-2000:]}")
    return Ran(proc.returncode, out, err)


def json_lines_per_rank(module: str, key: str, timeout: float) -> list[dict[str, dict[str, Any]]]:
    """Run ``python -m module`` as a two-rank job; per rank, the JSON lines it printed, by their ``key`` field."""
    out = []
    for run in [wait(p, timeout) for p in start_job(["-m", module])]:
        assert run.rc == 0, run.err[-3000:]
        lines = [json.loads(line) for line in run.out.splitlines() if line.startswith("{")]
        out.append({line[key]: line for line in lines})
    return out
