"""Run the installed ``lora-lint`` in a subprocess, and small model folders for the base-model route."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.cli.cli_processes import run_forked

REPO = Path(__file__).resolve().parents[2]
LORA_LINT = Path(sys.executable).with_name("lora-lint")
#: Llama target names, the seed configuration of most tutorials
SEED = {"r": 8, "lora_alpha": 16, "target_modules": ["q_proj", "v_proj"], "lora_dropout": 0.05, "bias": "none", "task_type": "CAUSAL_LM"}


@dataclass
class Run:
    rc: int
    out: str
    err: str

    @property
    def err_lines(self) -> list[str]:
        return self.err.splitlines()


def run_cli(
    *args: str, cwd: Path = REPO, env: dict[str, str] | None = None, timeout: float = 300, fresh: bool = False
) -> Run:
    """The installed console script, as a user runs it (no colour variables leaking in from CI), each run in
    its own process; ``fresh`` starts the interpreter anew instead of forking one that has torch imported."""
    assert LORA_LINT.is_file(), f"{LORA_LINT} is not installed: pip install -e ."
    base = {k: v for k, v in os.environ.items() if k not in ("NO_COLOR", "FORCE_COLOR", "PYTEST_CURRENT_TEST")}
    base["HF_HUB_OFFLINE"] = "1"
    environ = {**base, **(env or {})}
    forked = None if fresh else run_forked(LORA_LINT, list(args), cwd, environ, timeout)
    if forked is not None:
        return Run(*forked)
    proc = subprocess.run(
        [str(LORA_LINT), *args], cwd=cwd, env=environ, capture_output=True, text=True, timeout=timeout, check=False
    )
    return Run(proc.returncode, proc.stdout, proc.stderr)


@pytest.fixture(autouse=True)
def _restore_import_state(restore_import_state: None) -> None:
    """Every CLI test that loads a factory in-process leaves sys.path and sys.modules as they were."""


def write_json(path: Path, data: object) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data, indent=2))
    return path


def write_gpt2_config(folder: Path) -> Path:
    """A GPT-2 folder with config.json only (no weights): built on the meta device."""
    write_json(
        folder / "config.json",
        {
            "model_type": "gpt2",
            "architectures": ["GPT2LMHeadModel"],
            "n_embd": 64,
            "n_layer": 2,
            "n_head": 4,
            "n_positions": 64,
            "vocab_size": 128,
            "bos_token_id": 0,
            "eos_token_id": 0,
        },
    )
    return folder


def write_remote_code_config(folder: Path) -> Path:
    """A config.json whose architecture needs remote code (auto_map), as many hub models have."""
    write_json(
        folder / "config.json",
        {
            "model_type": "fancylm",
            "architectures": ["FancyLMForCausalLM"],
            "auto_map": {"AutoModelForCausalLM": "modeling_fancylm.FancyLMForCausalLM"},
        },
    )
    return folder


@pytest.fixture(scope="session")
def gpt2_config_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_gpt2_config(tmp_path_factory.mktemp("gpt2-config"))


@pytest.fixture(scope="session")
def remote_code_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_remote_code_config(tmp_path_factory.mktemp("remote-code"))


@pytest.fixture()
def seed_config(tmp_path: Path) -> Path:
    return write_json(tmp_path / "lora.json", SEED)
