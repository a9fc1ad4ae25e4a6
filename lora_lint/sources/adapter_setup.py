"""A setup for saved adapters (one folder, or one stage of a run), checked against an optional ``--model`` base."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from lora_lint.context import RunMembership, SavedAdapters, Setup
from lora_lint.errors import SetupLoadError
from lora_lint.findings import Location, Note
from lora_lint.sources.adapter_files import SavedAdapter
from lora_lint.sources.options import LoadOptions


class BaseForAdapters:
    """The ``--model`` base, built once on the meta device and shared by every setup of one target."""

    def __init__(self, options: LoadOptions) -> None:
        self.folder = options.model
        self._built: tuple[Any, str | None] | None = None

    def get(self) -> tuple[Any, str | None]:
        """(base module or None, why it cannot be verified or None)."""
        if self.folder is None:
            return None, None
        if self._built is None:
            from lora_lint.sources.base_model import build_base_model

            built = build_base_model(self.folder, weights=False)
            self._built = (built.model, built.unverifiable)
        return self._built


def adapter_setup(
    target: str,
    saved: SavedAdapters,
    base: BaseForAdapters,
    *,
    checkpoints: Sequence[Path] = (),
    lock_file: Path | None = None,
    run: RunMembership | None = None,
) -> Setup:
    """One setup for the adapters of one folder (all of peft's adapters in it, by name)."""
    adapters: Mapping[str, SavedAdapter] = saved.adapters
    first = adapters.get("default") or next(iter(adapters.values()))
    model, unverifiable = base.get()
    notes: list[Note] = []
    if unverifiable:
        notes.append(Note(f"base model not built: {unverifiable}", target))
    return Setup(
        target=target,
        base_model=model,
        lora_configs={name: dict(a.config) for name, a in adapters.items()},
        weights=False,
        adapter_dirs={name: a.folder for name, a in adapters.items()},
        checkpoints=tuple(checkpoints),
        lock_file=lock_file,
        origin=Location(file=str(first.file)),
        notes=notes,
        saved=saved,
        run=run,
        base_model_dir=base.folder,
        cannot_verify=unverifiable or None,
    )


def lock_option(options: LoadOptions, folder: Path | None = None) -> Path | None:
    """The ``--lock`` file, which must exist; without one, the ``lora.lock.json`` that ``lora-lint lock`` wrote in ``folder``."""
    if options.lock is None:
        from lora_lint.lock.file import LOCK_NAME

        found = folder / LOCK_NAME if folder is not None else None
        return found if found is not None and found.is_file() else None
    if not options.lock.is_file():
        raise SetupLoadError(str(options.lock), "lock file not found (write one with `lora-lint lock PATH`)")
    return options.lock
