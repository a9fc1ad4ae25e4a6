"""The lock file format: ``lora.lock.json``, version 1, read and validated here."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from lora_lint.errors import UsageError
from lora_lint.facts.scale_fields import FIELDS

LOCK_NAME = "lora.lock.json"
LOCK_FORMAT = 1


def lock_document(source: str, adapters: dict[str, dict[str, Any]]) -> dict[str, Any]:
    """The JSON object a lock file holds."""
    return {"lora_lint_lock": LOCK_FORMAT, "source": source, "adapters": adapters}


def save_lock(lock: dict[str, Any], path: Path) -> Path:
    """Write ``lock`` to ``path`` (sorted keys, so a re-recorded lock diffs cleanly)."""
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
    problem = lock_problem(data)
    if problem:
        raise UsageError(f"lock file {path} is malformed: {problem}; rewrite it with `lora-lint lock`")
    return data  # type: ignore[no-any-return]


def lock_problem(data: Any) -> str | None:
    """What is wrong with a parsed lock, or None."""
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
