"""A saved adapter's own base (``base_model_name_or_path``), resolved so its targets can be checked without --model."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from lora_lint.findings import Note
from lora_lint.sources.adapter_files import SavedAdapter


def saved_base(adapters: Mapping[str, SavedAdapter], target: str) -> tuple[Path | None, Note | None]:
    """(the folder of the base the adapters name, None) or (None, a note naming the base tried and why)."""
    names = {str(a.config.get("base_model_name_or_path") or "") for a in adapters.values()} - {""}
    if not names:
        return None, None
    if len(names) > 1:
        return None, Note(f"adapters name different bases ({', '.join(sorted(names))}); pass --model DIR", target)
    name = names.pop()
    revision = next((str(a.config["revision"]) for a in adapters.values() if a.config.get("revision")), None)
    from lora_lint.sources.hub import resolve_model

    resolved = resolve_model(name, revision)
    if resolved.folder is None:
        return None, Note(f"base model named in adapter_config.json not resolved: {resolved.reason}", target)
    return resolved.folder, None
