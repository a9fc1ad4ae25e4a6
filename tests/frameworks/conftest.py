"""An offline Hugging Face cache with the example models' config.json, for every test in this folder."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.frameworks.hub_cache import build_hub_cache


@pytest.fixture(scope="session")
def hub_cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_hub_cache(tmp_path_factory.mktemp("hf") / "hub")


@pytest.fixture
def offline_hub(hub_cache: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """HF_HUB_CACHE and HF_HUB_OFFLINE for this process (huggingface_hub reads its constants at call time)
    and for CLI subprocesses (the environment)."""
    from huggingface_hub import constants

    monkeypatch.setenv("HF_HUB_CACHE", str(hub_cache))
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setattr(constants, "HF_HUB_CACHE", str(hub_cache))
    monkeypatch.setattr(constants, "HF_HUB_OFFLINE", True)
    yield hub_cache
