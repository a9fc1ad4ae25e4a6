"""The packages stay fully typed: mypy --strict (configured in pyproject.toml) passes on them."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


from tests.versions import TRANSFORMERS_5


@pytest.mark.skipif(not TRANSFORMERS_5, reason="typing is checked against the current row's libraries; the legacy "
                    "row's transformers 4.57 and peft 0.17 lack names the version branches guard at run time")
def test_mypy_strict_passes_on_lora_lint_and_pytest_lora(tmp_path: Path) -> None:
    pytest.importorskip("mypy")
    result = subprocess.run(
        [sys.executable, "-m", "mypy", "--cache-dir", str(tmp_path / "mypy-cache")],
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stdout + result.stderr
