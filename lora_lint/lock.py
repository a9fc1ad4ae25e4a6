"""``lora.lock.json``: what an adapter was trained with (scale fields, targets, shapes, a content hash).

A lock is written once after training (``lora-lint lock PATH`` or :func:`write_lock`) and compared later
(``lora-lint check PATH --lock FILE`` or :func:`check_lock`): any drift of the scale-defining fields is
LORA304. The pytest plugin uses the same functions as a snapshot.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from lora_lint.errors import UsageError
from lora_lint.facts.scale_fields import FIELDS, global_scale, scale_fields

if TYPE_CHECKING:
    from lora_lint.report import Report
    from lora_lint.sources.adapter_files import SavedAdapter

LOCK_NAME = "lora.lock.json"
LOCK_FORMAT = 1


# -- public API --------------------------------------------------------------------------------


def build_lock(source: Any) -> dict[str, Any]:
    """The lock of ``source``: an adapter folder, a run folder (its final adapter), or a live model.

    A live model is a PeftModel or any module holding peft LoRA layers with a ``peft_config``; its
    live config, tensor shapes and a hash of its adapter weights are recorded.
    """
    if isinstance(source, (str, Path)):
        folder = lock_subject(Path(source))
        from lora_lint.sources.adapter_files import load_adapters

        adapters = saved_records(load_adapters(folder), content_hash=True)
        described = str(source)
    else:
        adapters = live_records(source, content_hash=True)
        described = f"<{type(source).__name__}>"
    return {"lora_lint_lock": LOCK_FORMAT, "source": described, "adapters": adapters}


def write_lock(source: Any, lock_file: str | Path | None = None) -> Path:
    """Write the lock of ``source`` (default: ``lora.lock.json`` in the adapter folder); return its path."""
    if lock_file is None:
        if not isinstance(source, (str, Path)):
            raise UsageError("write_lock() needs a lock file path for a live model")
        lock_file = Path(source) / LOCK_NAME
    path = Path(lock_file)
    lock = build_lock(source)
    try:
        path.write_text(json.dumps(lock, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    except OSError as exc:
        raise UsageError(f"cannot write lock file {path}: {exc}") from None
    return path


def read_lock(lock_file: str | Path) -> dict[str, Any]:
    """Read and validate a lock; a missing, unreadable or malformed one is a UsageError saying so."""
    path = Path(lock_file)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise UsageError(f"lock file {path} not found (write one with `lora-lint lock PATH`)") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise UsageError(f"cannot read lock file {path}: {exc}") from None
    except ValueError as exc:
        raise UsageError(f"lock file {path} is not valid JSON ({exc}); rewrite it with `lora-lint lock`") from None
    problem = _lock_problem(data)
    if problem:
        raise UsageError(f"lock file {path} is malformed: {problem}; rewrite it with `lora-lint lock`")
    return data  # type: ignore[no-any-return]


def check_lock(source: Any, lock_file: str | Path) -> Report:
    """Compare ``source`` (a path or a live model) with a lock; drift of the scale fields is LORA304."""
    from lora_lint.context import Setup
    from lora_lint.engine import lint_setups
    from lora_lint.plugins import collect_registry, get_plugin_manager
    from lora_lint.settings import Settings

    read_lock(lock_file)
    lock_path = Path(lock_file)
    if isinstance(source, (str, Path)):
        from lora_lint.sources.adapter_dir import BaseForAdapters, adapter_setup
        from lora_lint.sources.adapter_files import load_adapters

        folder = lock_subject(Path(source))
        setup = adapter_setup(str(source), load_adapters(folder), BaseForAdapters({}), lock_file=lock_path)
    else:
        setup = Setup(target=f"<{type(source).__name__}>", model=source, lock_file=lock_path)
    settings = Settings(select=("LORA304",), probe=False)
    pm = get_plugin_manager()
    return lint_setups([setup], collect_registry(pm).rules.values(), settings, pm)


# -- building records ----------------------------------------------------------------------------


def lock_subject(path: Path) -> Path:
    """The folder a lock describes: an adapter folder, or a run's final adapter (else its last checkpoint)."""
    from lora_lint.sources.adapter_dir import adapter_target
    from lora_lint.sources.adapter_files import adapter_folders
    from lora_lint.sources.run_dir import run_checkpoints

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
    from lora_lint.facts.tensors import TensorFile, new_hasher, tensor_digest

    records: dict[str, dict[str, Any]] = {}
    for name, adapter in adapters.items():
        tensors: dict[str, list[int]] = {}
        digest: str | None = None
        if adapter.weights is not None:
            with TensorFile(adapter.weights) as tf:
                by_name = sorted((parse_key(k).name, k) for k in tf.keys())
                tensors = {n: list(tf.shape(k)) for n, k in by_name}
                if content_hash:
                    hasher = new_hasher()
                    for n, k in by_name:
                        tensor_digest(hasher, n, tf.dtype(k), tf.shape(k), tf.raw_blocks(k))
                    digest = f"sha256:{hasher.hexdigest()}"
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
    from lora_lint.facts.tensors import _torch_block, _torch_dtype_name, new_hasher, tensor_digest

    records: dict[str, dict[str, Any]] = {}
    for name, config in configs.items():
        if type(config).__name__ != "LoraConfig":
            continue
        state = get_peft_model_state_dict(model, adapter_name=name)
        by_name = sorted((parse_key(k).name, v) for k, v in state.items())
        tensors = {n: list(v.shape) for n, v in by_name}
        digest: str | None = None
        if content_hash and not any(v.is_meta for _, v in by_name):
            hasher = new_hasher()
            for n, v in by_name:
                tensor_digest(hasher, n, _torch_dtype_name(v.dtype), tuple(v.shape), iter([_torch_block(v, raw=True)]))
            digest = f"sha256:{hasher.hexdigest()}"
        records[name] = _record(config.to_dict(), tensors, digest)
    return records


def _record(config: Mapping[str, Any], tensors: dict[str, list[int]], digest: str | None) -> dict[str, Any]:
    fields = scale_fields(config)
    return {"config": fields, "scale": global_scale(fields), "tensors": tensors, "content_hash": digest}


def _lock_problem(data: Any) -> str | None:
    if not isinstance(data, dict):
        return "expected a JSON object"
    if data.get("lora_lint_lock") != LOCK_FORMAT:
        return f"unknown format {data.get('lora_lint_lock')!r} (expected lora_lint_lock: {LOCK_FORMAT})"
    adapters = data.get("adapters")
    if not isinstance(adapters, dict) or not adapters:
        return "no adapters recorded"
    for name, record in adapters.items():
        if not isinstance(record, dict) or not isinstance(record.get("config"), dict):
            return f"adapter {name!r} has no config"
        missing = [f for f in FIELDS if f not in record["config"]]
        if missing:
            return f"adapter {name!r} lacks {', '.join(missing)}"
        if not isinstance(record.get("tensors", {}), dict):
            return f"adapter {name!r}: tensors must be an object"
    return None
