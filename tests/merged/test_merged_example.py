"""The merged-unchanged example, built by its script into a temporary folder and checked by the CLI."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from tests.cli.conftest import REPO, run_cli


def test_merged_unchanged_example_fires_607(tmp_path: Path) -> None:
    script = REPO / "examples" / "merged_unchanged" / "build.py"
    built = subprocess.run([sys.executable, str(script), str(tmp_path)], capture_output=True, text=True, timeout=300)
    assert built.returncode == 0, built.stderr
    assert not list((REPO / "examples" / "merged_unchanged").glob("*.safetensors"))
    run = run_cli("check", str(tmp_path / "merged"), "--model", str(tmp_path / "base"), "--adapter", str(tmp_path / "adapter"), "-f", "json")
    assert run.rc == 1, run.err
    assert [f["code"] for f in json.loads(run.out)["findings"]] == ["LORA607"]
    assert "nothing was merged" in json.loads(run.out)["findings"][0]["message"]
