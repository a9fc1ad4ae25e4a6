"""Start the processes of one job the way torchrun starts its workers (gloo on CPU), and collect them."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
TIMEOUT = 240


@dataclass
class Ran:
    rc: int
    out: str
    err: str


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def job_env(world: int, port: int) -> dict[str, str]:
    """The variables torchrun gives every worker of a one-machine job, less the rank's own."""
    return {"WORLD_SIZE": str(world), "LOCAL_WORLD_SIZE": str(world), "MASTER_ADDR": "127.0.0.1", "MASTER_PORT": str(port)}


def rank_env(rank: int) -> dict[str, str]:
    return {"RANK": str(rank), "LOCAL_RANK": str(rank)}


def start(args: list[str], env: dict[str, str]) -> subprocess.Popen[str]:
    """``python ARGS`` from the repository root with ``env`` over a clean copy of this environment."""
    environ = {k: v for k, v in os.environ.items() if k not in ("RANK", "WORLD_SIZE", "LOCAL_RANK")}
    environ.update(HF_HUB_OFFLINE="1", OMP_NUM_THREADS="1", PYTHONPATH=str(REPO), **env)
    return subprocess.Popen(
        [sys.executable, *args], cwd=REPO, env=environ, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )


def wait(proc: subprocess.Popen[str], timeout: int = TIMEOUT) -> Ran:
    try:
        out, err = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        out, err = proc.communicate()
        pytest.fail(f"a rank did not finish in {timeout}s:\n{err[-2000:]}")
    return Ran(proc.returncode, out, err)
