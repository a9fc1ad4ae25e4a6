"""Loader for a saved adapter folder: adapter_config.json + adapter_model.safetensors|.bin (no torch)."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from lora_lint.context import SavedAdapters
from lora_lint.plugins import hookimpl
from lora_lint.sources.adapter_files import (
    BIN_NAME,
    CONFIG_NAME,
    SAFETENSORS_NAME,
    adapter_folders,
    load_adapters,
    run_checkpoints,
)
from lora_lint.sources.adapter_setup import BaseForAdapters, adapter_setup, lock_option
from lora_lint.sources.options import LoadOptions, load_options

if TYPE_CHECKING:
    from lora_lint.context import Setup
    from lora_lint.settings import Settings


def adapter_target(target: str) -> Path | None:
    """The folder ``target`` names when it is an adapter folder (or one of its files), else None."""
    path = Path(target)
    if path.is_file() and path.name in (CONFIG_NAME, SAFETENSORS_NAME, BIN_NAME):
        path = path.parent
    if not path.is_dir():
        return None
    return path if adapter_folders(path) else None


@hookimpl
def lora_lint_load_setup(
    target: str, settings: Settings, options: LoadOptions | Mapping[str, Any]
) -> list[Setup] | None:
    folder = adapter_target(target)
    if folder is None or run_checkpoints(folder):  # a run folder (its final adapter at the root): the run loader's
        return None
    options = load_options(options)
    saved = SavedAdapters(folder, load_adapters(folder))
    base = BaseForAdapters(options)
    tried = None
    if base.folder is None:  # no --model: the base the adapter names, from a folder or the HF cache
        from lora_lint.sources.adapter_base import saved_base

        base.folder, tried = saved_base(saved.adapters, target)
    setup = adapter_setup(target, saved, base, lock_file=lock_option(options, folder))
    if tried is not None:
        setup.notes.append(tried)
    return [setup]
