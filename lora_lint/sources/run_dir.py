"""Loader for a training run folder: ``checkpoint-*/`` adapters in step order, plus a final adapter at the root."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from lora_lint.plugins import hookimpl
from lora_lint.sources.adapter_dir import BaseForAdapters, adapter_setup, lock_option
from lora_lint.sources.adapter_files import CHECKPOINT_RE, adapter_folders, checkpoint_step, load_adapters

if TYPE_CHECKING:
    from lora_lint.context import Setup
    from lora_lint.settings import Settings


def run_checkpoints(folder: Path) -> list[Path]:
    """The ``checkpoint-N`` subfolders that hold an adapter, ordered by step (checkpoint-100 after -20).

    An adapter may sit in the checkpoint itself (HF Trainer) or in a subfolder such as ``adapter/``.
    """
    try:
        children = [p for p in folder.iterdir() if p.is_dir() and CHECKPOINT_RE.match(p.name)]
    except OSError:
        return []
    with_adapters = [p for p in children if adapter_folders(p)]
    return sorted(with_adapters, key=lambda p: checkpoint_step(p) or 0)


def load_run(folder: Path, target: str, options: dict[str, Any]) -> list[Setup]:
    """One setup per checkpoint (each carrying the checkpoints up to itself), then the root's final adapter.

    The last setup carries the whole run (the per-checkpoint table) and the ``--lock`` file.
    """
    checkpoints = run_checkpoints(folder)
    base = BaseForAdapters(options)
    lock = lock_option(options)
    stages: list[tuple[str, Path]] = [(f"{target.rstrip('/')}/{c.name}", c) for c in checkpoints]
    if adapter_folders(folder):
        stages.append((target, folder))
    setups: list[Setup] = []
    for i, (label, path) in enumerate(stages):
        last = i == len(stages) - 1
        extras = {"run_root": folder, "adapter_root": path, "stage": path.name if path != folder else "final"}
        if last:
            extras["run_summary"] = True
        setup = adapter_setup(
            label,
            load_adapters(path),
            base,
            checkpoints=[p for _, p in stages[: i + 1]],
            lock_file=lock if last else None,
            extras=extras,
        )
        setup.group = str(folder)
        setups.append(setup)
    return setups


@hookimpl
def lora_lint_load_setup(target: str, settings: Settings, options: dict[str, Any]) -> list[Setup] | None:
    folder = Path(target)
    if not folder.is_dir() or not run_checkpoints(folder):
        return None
    return load_run(folder, target, options)
