"""``lora.lock.json``: what an adapter was trained with (scale fields, targets, shapes, a content hash).

A lock is written once after training (``lora-lint lock PATH`` or :func:`write_lock`) and compared later
(``lora-lint check PATH --lock FILE`` or :func:`check_lock`): any drift of the scale-defining fields is
LORA304. The pytest plugin uses the same functions as a snapshot. The format lives in
:mod:`~lora_lint.lock.file`, the records in :mod:`~lora_lint.lock.records`, the hash in
:mod:`~lora_lint.lock.hashing`.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from lora_lint.errors import UsageError
from lora_lint.lock.file import LOCK_FORMAT, LOCK_NAME, lock_document, read_lock, save_lock
from lora_lint.lock.records import live_records, lock_subject, saved_records

if TYPE_CHECKING:
    from lora_lint.report import Report

__all__ = [
    "LOCK_FORMAT",
    "LOCK_NAME",
    "build_lock",
    "check_lock",
    "live_records",
    "lock_subject",
    "read_lock",
    "saved_records",
    "write_lock",
]


def build_lock(source: Any) -> dict[str, Any]:
    """The lock of ``source``: an adapter folder, a run folder (its final adapter), or a live model.

    A live model is a PeftModel or any module holding peft LoRA layers with a ``peft_config``; its
    live config, tensor shapes and a hash of its adapter weights are recorded.
    """
    if isinstance(source, (str, Path)):
        from lora_lint.sources.adapter_files import load_adapters

        adapters = saved_records(load_adapters(lock_subject(Path(source))), content_hash=True)
        return lock_document(str(source), adapters)
    return lock_document(f"<{type(source).__name__}>", live_records(source, content_hash=True))


def write_lock(source: Any, lock_file: str | Path | None = None) -> Path:
    """Write the lock of ``source`` (default: ``lora.lock.json`` in the adapter folder); return its path."""
    if lock_file is None:
        if not isinstance(source, (str, Path)):
            raise UsageError("write_lock() needs a lock file path for a live model")
        lock_file = Path(source) / LOCK_NAME
    return save_lock(build_lock(source), Path(lock_file))


def check_lock(source: Any, lock_file: str | Path) -> Report:
    """Compare ``source`` (a path or a live model) with a lock; drift of the scale fields is LORA304."""
    from lora_lint.context import SavedAdapters, Setup
    from lora_lint.linting import Linter
    from lora_lint.settings import Settings

    read_lock(lock_file)
    lock_path = Path(lock_file)
    if isinstance(source, (str, Path)):
        from lora_lint.sources.adapter_files import load_adapters
        from lora_lint.sources.adapter_setup import BaseForAdapters, adapter_setup
        from lora_lint.sources.options import LoadOptions

        folder = lock_subject(Path(source))
        saved = SavedAdapters(folder, load_adapters(folder))
        setup = adapter_setup(str(source), saved, BaseForAdapters(LoadOptions()), lock_file=lock_path)
    else:
        setup = Setup(target=f"<{type(source).__name__}>", model=source, lock_file=lock_path)
    return Linter().lint((), Settings(select=("LORA304",), probe=False), setups=[setup])
