"""Loader for a merged model: ``lora-lint check MERGED_DIR --model BASE [--adapter ADAPTER_DIR]`` (no torch)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from lora_lint.context import Setup
from lora_lint.errors import SetupLoadError
from lora_lint.findings import Location
from lora_lint.plugins import hookimpl
from lora_lint.sources.merged_files import INDEX, SINGLE, MergedCheckpoints, check_comparable, has_weights, read_checkpoint

if TYPE_CHECKING:
    from lora_lint.settings import Settings
    from lora_lint.sources.options import LoadOptions
    from lora_lint.sources.adapter_files import SavedAdapter


def _adapter(option: Any) -> SavedAdapter:
    from lora_lint.sources.adapter_files import load_adapters

    folder = Path(option)
    adapters = load_adapters(folder) if folder.is_dir() else {}
    if not adapters:
        raise SetupLoadError(str(folder), "--adapter needs an adapter folder (adapter_config.json + weights)")
    adapter = adapters.get("default") or next(iter(adapters.values()))
    if adapter.weights is None:
        raise SetupLoadError(str(folder), "the adapter folder holds no adapter_model.safetensors or .bin")
    return adapter


@hookimpl
def lora_lint_load_setup(target: str, settings: Settings, options: LoadOptions) -> list[Setup] | None:
    folder = Path(target)
    base_option, adapter_option = options.model, options.adapter
    if not folder.is_dir():
        return None
    if not base_option:
        if adapter_option is not None:
            raise SetupLoadError(target, "--adapter checks a merged model against its base: pass --model BASE too")
        return None
    holds_adapter = (folder / "adapter_config.json").is_file()
    if adapter_option is None and (holds_adapter or not has_weights(folder)):
        return None  # an adapter (or run) folder checked against --model: the adapter loaders'
    if holds_adapter:
        raise SetupLoadError(target, "this folder holds an adapter (adapter_config.json), not a merged model; "
                             "pass the folder merge_and_unload() was saved to")
    merged = read_checkpoint(folder, "merged")
    base = read_checkpoint(Path(base_option), "base (--model)")
    check_comparable(merged, base)
    adapter = _adapter(adapter_option) if adapter_option is not None else None
    weights = folder / SINGLE if (folder / SINGLE).is_file() else folder / INDEX
    return [Setup(target=target, weights=False, origin=Location(file=str(weights)), merged=MergedCheckpoints(merged, base, adapter))]
