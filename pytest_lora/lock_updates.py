"""``--lora-update-locks`` under pytest-xdist: one writer per lock file at a time, and the list the controller shows."""

from __future__ import annotations

import hashlib
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

from pytest_lora.state import LoraRunState

#: the key a worker's written locks travel under to the controller (pytest-xdist's ``workeroutput``)
WORKER_KEY = "lora_lint_written_locks"


def lock_guard(path: Path) -> Any:
    """A file lock for ``path`` kept in the temp folder, so nothing beside the user's lock file is left behind."""
    from filelock import FileLock  # a dependency of huggingface_hub

    digest = hashlib.sha256(str(path.resolve()).encode()).hexdigest()[:16]
    return FileLock(str(Path(tempfile.gettempdir()) / f"lora-lint-{digest}.lock"))


def update_lock(state: LoraRunState, source: Any, path: Path, holds: Callable[[Any, Path], bool]) -> None:
    """Write ``path`` from ``source`` unless it already holds; workers racing on one file take turns.

    The check runs inside the lock, so of two workers recording the same lock the second sees the
    first one's file and leaves it alone.
    """
    from lora_lint import lock as locks

    with lock_guard(path):
        if not holds(source, path):
            path.parent.mkdir(parents=True, exist_ok=True)
            state.written_locks.append(locks.write_lock(source, path))


def merge_worker_locks(state: LoraRunState, workeroutput: dict[str, Any]) -> None:
    """Add what one xdist worker wrote to the controller's list (each path once)."""
    for shown in workeroutput.get(WORKER_KEY, ()):
        path = Path(shown)
        if path not in state.written_locks:
            state.written_locks.append(path)
