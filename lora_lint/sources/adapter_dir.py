"""Loader for a saved adapter folder: adapter_config.json + adapter_model.safetensors|.bin (no torch)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from lora_lint.context import Setup
from lora_lint.errors import SetupLoadError
from lora_lint.findings import Location, Note
from lora_lint.plugins import hookimpl
from lora_lint.sources.adapter_files import BIN_NAME, CONFIG_NAME, SAFETENSORS_NAME, SavedAdapter, load_adapters

if TYPE_CHECKING:
    from lora_lint.settings import Settings


def adapter_target(target: str) -> Path | None:
    """The folder ``target`` names when it is an adapter folder (or one of its files), else None."""
    path = Path(target)
    if path.is_file() and path.name in (CONFIG_NAME, SAFETENSORS_NAME, BIN_NAME):
        path = path.parent
    if not path.is_dir():
        return None
    from lora_lint.sources.adapter_files import adapter_folders

    return path if adapter_folders(path) else None


class BaseForAdapters:
    """The ``--model`` base, built once on the meta device and shared by every setup of one target."""

    def __init__(self, options: Mapping[str, Any]) -> None:
        self.folder = Path(options["model"]) if options.get("model") else None
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
    adapters: Mapping[str, SavedAdapter],
    base: BaseForAdapters,
    *,
    checkpoints: Sequence[Path] = (),
    lock_file: Path | None = None,
    extras: Mapping[str, Any] | None = None,
) -> Setup:
    """One setup for the adapters of one folder (all of peft's adapters in it, by name)."""
    first = adapters.get("default") or next(iter(adapters.values()))
    model, unverifiable = base.get()
    notes: list[Note] = []
    all_extras: dict[str, Any] = {"adapters": dict(adapters), **(extras or {})}
    if base.folder is not None:
        all_extras["model_dir"] = base.folder
    if unverifiable:
        all_extras["cannot_verify"] = unverifiable
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
        extras=all_extras,
    )


def lock_option(options: Mapping[str, Any]) -> Path | None:
    lock = options.get("lock")
    if not lock:
        return None
    path = Path(lock)
    if not path.is_file():
        raise SetupLoadError(str(path), "lock file not found (write one with `lora-lint lock PATH`)")
    return path


@hookimpl
def lora_lint_load_setup(target: str, settings: Settings, options: dict[str, Any]) -> list[Setup] | None:
    folder = adapter_target(target)
    if folder is None:
        return None
    from lora_lint.sources.run_dir import run_checkpoints

    if run_checkpoints(folder):  # a run folder (its final adapter at the root): the run loader's
        return None
    adapters = load_adapters(folder)
    base = BaseForAdapters(options)
    tried = None
    if base.folder is None:  # no --model: the base the adapter names, from a folder or the HF cache
        from lora_lint.sources.adapter_base import saved_base

        base.folder, tried = saved_base(adapters, target)
    setup = adapter_setup(target, adapters, base, lock_file=lock_option(options), extras={"adapter_root": folder})
    if tried is not None:
        setup.notes.append(tried)
    return [setup]
