"""A full model checkpoint on disk (config.json + safetensors, single or sharded), read by header only.

A merged model is compared with its base tensor by tensor, so both are opened here the cheap way: the
index and every shard's header, never a value. Whatever makes the comparison meaningless (another
architecture, a missing shard, another dtype) is refused here, with one line, before anything is read.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from lora_lint.errors import SetupLoadError

if TYPE_CHECKING:
    from lora_lint.sources.adapter_files import SavedAdapter

SINGLE = "model.safetensors"
INDEX = "model.safetensors.index.json"


@dataclass(frozen=True)
class Checkpoint:
    """One saved model: its config as written and, per tensor name, the file, shape and dtype."""

    folder: Path
    config: Mapping[str, Any]
    files: Mapping[str, Path]
    shapes: Mapping[str, tuple[int, ...]]
    dtypes: Mapping[str, str]

    @property
    def architecture(self) -> str | None:
        archs = self.config.get("architectures") or []
        return str(archs[0]) if archs else None

    @property
    def model_type(self) -> str | None:
        value = self.config.get("model_type")
        return str(value) if value else None


def has_weights(folder: Path) -> bool:
    return (folder / SINGLE).is_file() or (folder / INDEX).is_file()


def read_checkpoint(folder: Path, role: str) -> Checkpoint:
    """Config and tensor headers of a model folder; exit 2 (one line) when it is not a readable checkpoint."""
    from lora_lint.facts.tensors import TensorFile
    from lora_lint.sources.adapter_files import read_json

    if not (folder / "config.json").is_file():
        raise SetupLoadError(str(folder), f"the {role} folder has no config.json")
    config = read_json(folder / "config.json", "config.json")
    if not isinstance(config, dict):
        raise SetupLoadError(str(folder / "config.json"), "expected a JSON object")
    if (folder / SINGLE).is_file():
        by_file: dict[Path, list[str] | None] = {folder / SINGLE: None}
    elif (folder / INDEX).is_file():
        weight_map = read_json(folder / INDEX, INDEX).get("weight_map")
        if not isinstance(weight_map, dict) or not weight_map:
            raise SetupLoadError(str(folder / INDEX), "no weight_map in the index")
        shards: dict[Path, list[str]] = {}
        for key, name in weight_map.items():
            shards.setdefault(folder / str(name), []).append(str(key))
        by_file = {path: keys for path, keys in shards.items()}
        missing = sorted(p.name for p in by_file if not p.is_file())
        if missing:
            more = f" and {len(missing) - 1} more" if len(missing) > 1 else ""
            raise SetupLoadError(str(folder), f"the {role} checkpoint misses shard {missing[0]}{more} named in {INDEX}")
    else:
        raise SetupLoadError(str(folder), f"the {role} folder holds no {SINGLE} or {INDEX} (only safetensors are compared)")
    files: dict[str, Path] = {}
    shapes: dict[str, tuple[int, ...]] = {}
    dtypes: dict[str, str] = {}
    for path, keys in by_file.items():
        with TensorFile(path) as tf:
            present = set(tf.keys())
            absent = [k for k in keys or () if k not in present]
            if absent:
                raise SetupLoadError(str(path), f"{absent[0]} is named in {INDEX} but not stored in this shard")
            for key in keys or sorted(present):
                files[key], shapes[key], dtypes[key] = path, tf.shape(key), tf.dtype(key)
    return Checkpoint(folder, config, files, shapes, dtypes)


def check_comparable(merged: Checkpoint, base: Checkpoint) -> None:
    """Refuse two checkpoints whose tensors cannot be compared one to one."""
    for what, a, b in (("architecture", merged.architecture, base.architecture), ("model_type", merged.model_type, base.model_type)):
        if a and b and a != b:
            raise SetupLoadError(str(merged.folder), f"the merged model is {a}, the base {b}: another {what}, nothing to compare")
    common = [k for k in merged.shapes if k in base.shapes]
    if not common:
        raise SetupLoadError(str(merged.folder), "no tensor name is shared with the base checkpoint: another architecture")
    for key in common:
        if merged.shapes[key] != base.shapes[key]:
            raise SetupLoadError(
                str(merged.folder),
                f"{key} is {list(merged.shapes[key])} here and {list(base.shapes[key])} in the base: another architecture or size",
            )
    for key in common:
        if merged.dtypes[key] != base.dtypes[key]:
            raise SetupLoadError(
                str(merged.folder),
                f"{key} is {merged.dtypes[key]} here and {base.dtypes[key]} in the base: save both in one dtype to compare them",
            )


@dataclass(frozen=True)
class MergedCheckpoints:
    """A merged model, the base it was merged into and, when given, the adapter that was merged."""

    merged: Checkpoint
    base: Checkpoint
    #: the adapter folder (``--adapter``); without it only "is anything merged" and the tie are checked
    adapter: SavedAdapter | None = None
