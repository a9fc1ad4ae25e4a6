"""A sample of the fuzz tables through the installed console script, as a user or CI runs it."""

from __future__ import annotations

import json
from pathlib import Path

from tests.cli.conftest import run_cli
from tests.fuzz.conftest import ADAPTER_CONFIG, INTERNAL, write_adapter


def test_a_mistyped_field_through_the_console_script(tmp_path: Path) -> None:
    folder = write_adapter(tmp_path / "adapter", config={**ADAPTER_CONFIG, "r": "8"})
    run = run_cli("check", str(folder), "--format", "sarif", cwd=tmp_path)
    assert run.rc == 2 and len(run.err_lines) == 1, run.err
    assert "r must be a positive integer, got '8' (a string)" in run.err
    assert not any(word in run.err for word in INTERNAL)


def test_machine_output_parses_and_nothing_is_written_outside_o(tmp_path: Path) -> None:
    folder = write_adapter(tmp_path / "adapter", tensors={"model.layers.0.mlp.weight": __import__("numpy").ones((2, 2))})
    before = sorted(p.name for p in tmp_path.iterdir())
    run = run_cli("check", str(folder), "--format", "sarif", "-o", str(tmp_path / "out.sarif"), cwd=tmp_path)
    assert run.rc == 1, run.err
    sarif = json.loads((tmp_path / "out.sarif").read_text())
    assert "LORA604" in json.dumps(sarif)
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted([*before, "out.sarif"])
