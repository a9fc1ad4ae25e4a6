"""The bundled examples leave nothing behind: a factory that saves an adapter removes it again."""

from __future__ import annotations

import runpy
import tempfile
from pathlib import Path

import pytest

from tests.cli.conftest import REPO


def test_the_loaded_adapter_example_removes_its_saved_adapter(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    monkeypatch.syspath_prepend(str(REPO / "examples"))
    build = runpy.run_path(str(REPO / "examples" / "loaded_frozen_adapter.py"))["build"]
    model, batch = build()
    assert not any(p.requires_grad for p in model.parameters())  # loaded for inference, as the example says
    assert "input_ids" in batch
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith("lora-lint-")] == []  # torch may cache here itself
