"""Loader for a training run folder: ``checkpoint-*/`` adapters in step order, plus a final adapter at the root."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from lora_lint.context import RunMembership, SavedAdapters
from lora_lint.plugins import hookimpl
from lora_lint.sources.adapter_files import adapter_folders, load_adapters, run_checkpoints
from lora_lint.sources.adapter_setup import BaseForAdapters, adapter_setup, lock_option
from lora_lint.sources.options import LoadOptions, load_options

if TYPE_CHECKING:
    from lora_lint.context import Setup
    from lora_lint.settings import Settings


def load_run(folder: Path, target: str, options: LoadOptions) -> list[Setup]:
    """One setup per checkpoint (each carrying the checkpoints up to itself), then the root's final adapter.

    The last setup carries the whole run (the per-checkpoint table) and the ``--lock`` file. Without
    ``--model``, every stage is checked against the base the run's last adapter names (a folder or a hub
    id in the Hugging Face cache), as ``check ADAPTER_DIR`` does.
    """
    checkpoints = run_checkpoints(folder)
    base = BaseForAdapters(options)
    lock = lock_option(options, folder)
    stages: list[tuple[str, Path]] = [(f"{target.rstrip('/')}/{c.name}", c) for c in checkpoints]
    if adapter_folders(folder):
        stages.append((target, folder))
    saved = [SavedAdapters(path, load_adapters(path)) for _, path in stages]
    tried = None
    if base.folder is None and saved:
        from lora_lint.sources.adapter_base import saved_base

        base.folder, tried = saved_base(saved[-1].adapters, target)
    setups: list[Setup] = []
    for i, (label, path) in enumerate(stages):
        last = i == len(stages) - 1
        run = RunMembership(folder, path.name if path != folder else "final", show_summary=last)
        setup = adapter_setup(
            label,
            saved[i],
            base,
            checkpoints=[p for _, p in stages[: i + 1]],
            lock_file=lock if last else None,
            run=run,
        )
        setup.group = str(folder)
        if tried is not None and i == 0:  # one note for the run: its stages share one base
            setup.notes.append(tried)
        setups.append(setup)
    return setups


@hookimpl
def lora_lint_load_setup(
    target: str, settings: Settings, options: LoadOptions | Mapping[str, Any]
) -> list[Setup] | None:
    folder = Path(target)
    if not folder.is_dir() or not run_checkpoints(folder):
        return None
    return load_run(folder, target, load_options(options))
