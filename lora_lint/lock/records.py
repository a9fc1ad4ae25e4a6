"""What a lock records per adapter: its scale fields, the scale, every tensor's shape, a content hash."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from lora_lint.errors import UsageError
from lora_lint.facts.scale_fields import global_scale, scale_fields

if TYPE_CHECKING:
    from lora_lint.sources.adapter_files import SavedAdapter


def lock_subject(path: Path) -> Path:
    """The folder a lock describes: an adapter folder, or a run's final adapter (else its last checkpoint)."""
    from lora_lint.sources.adapter_dir import adapter_target
    from lora_lint.sources.adapter_files import adapter_folders, run_checkpoints

    if path.is_dir() and not adapter_folders(path):
        checkpoints = run_checkpoints(path)
        if checkpoints:
            return checkpoints[-1]
    folder = adapter_target(str(path))
    if folder is None:
        raise UsageError(f"{path}: not an adapter folder (adapter_config.json) or a run folder (checkpoint-*/)")
    return folder


def saved_records(adapters: Mapping[str, SavedAdapter], content_hash: bool) -> dict[str, dict[str, Any]]:
    """Lock records of saved adapters: shapes from the file header, the hash from one pass over the data."""
    from lora_lint.facts.peft_keys import parse_key
    from lora_lint.facts.tensors import TensorFile
    from lora_lint.lock.hashing import saved_hash

    records: dict[str, dict[str, Any]] = {}
    for name, adapter in adapters.items():
        tensors: dict[str, list[int]] = {}
        digest: str | None = None
        if adapter.weights is not None:
            with TensorFile(adapter.weights) as tf:
                by_name = sorted((parse_key(k).name, k) for k in tf.keys())
                tensors = {n: list(tf.shape(k)) for n, k in by_name}
                if content_hash:
                    digest = saved_hash(tf, by_name)
        records[name] = _record(adapter.config, tensors, digest)
    return records


def live_records(model: Any, content_hash: bool) -> dict[str, dict[str, Any]]:
    """Lock records of a live model: its live LoraConfig(s) and the tensors ``save_pretrained`` would write."""
    configs = getattr(model, "peft_config", None)
    if not isinstance(configs, Mapping) or not configs:
        raise UsageError(f"{type(model).__name__} has no peft_config: lock a PeftModel or a saved adapter folder")
    # peft internal: get_peft_model_state_dict is what save_pretrained writes (adapter name removed).
    from peft.utils.save_and_load import get_peft_model_state_dict

    from lora_lint.facts.peft_keys import parse_key
    from lora_lint.lock.hashing import live_hash

    records: dict[str, dict[str, Any]] = {}
    for name, config in configs.items():
        if type(config).__name__ != "LoraConfig":
            continue
        state = get_peft_model_state_dict(model, adapter_name=name)
        by_name = sorted((parse_key(k).name, v) for k, v in state.items())
        tensors = {n: list(v.shape) for n, v in by_name}
        digest: str | None = None
        if content_hash and not any(v.is_meta for _, v in by_name):
            digest = live_hash(by_name)
        records[name] = _record(config.to_dict(), tensors, digest)
    return records


def _record(config: Mapping[str, Any], tensors: dict[str, list[int]], digest: str | None) -> dict[str, Any]:
    fields = scale_fields(config)
    return {"config": fields, "scale": global_scale(fields), "tensors": tensors, "content_hash": digest}
