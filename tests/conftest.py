"""Shared test setup: offline hub, quiet libraries."""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator

import pytest

os.environ["HF_HUB_OFFLINE"] = "1"
os.environ.setdefault("TRANSFORMERS_VERBOSITY", "error")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")


@pytest.fixture(scope="session", autouse=True)
def _session_caches(tmp_path_factory: pytest.TempPathFactory) -> None:
    """Saved models and adapters built once per session go under pytest's temporary root."""
    from tests import session_cache

    session_cache.use(tmp_path_factory)


@pytest.fixture
def restore_import_state(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """Factories put their folders on sys.path and import their helpers (``train``, ``helpers``);
    later tests must import neither from these temporary folders."""
    path, modules = list(sys.path), set(sys.modules)
    yield
    sys.path[:] = path
    temp = str(tmp_path_factory.getbasetemp())
    for module in set(sys.modules) - modules:
        if str(getattr(sys.modules[module], "__file__", None) or "").startswith(temp):
            del sys.modules[module]
