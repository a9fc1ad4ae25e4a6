"""Folders for what the tests build once per session (saved tiny models, trained adapters).

They live under pytest's own temporary root (``tmp_path_factory``), so pytest keeps the last few
sessions' folders for inspection and removes older ones, and nothing is left in the system's
temporary folder. ``tests/conftest.py`` hands the factory over when the session starts.
"""

from __future__ import annotations

import functools
from pathlib import Path

import pytest

_factory: list[pytest.TempPathFactory] = []


def use(factory: pytest.TempPathFactory) -> None:
    """Called once by the session fixture in tests/conftest.py."""
    _factory[:] = [factory]


@functools.cache
def cache_dir(name: str) -> Path:
    """One folder per name for the whole session, created on first use."""
    if not _factory:
        raise RuntimeError("session caches exist only inside a pytest session started from tests/")
    return _factory[0].mktemp(name, numbered=False)
