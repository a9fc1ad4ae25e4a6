"""A saved adapter's own base (``base_model_name_or_path``), resolved so its targets can be checked without --model."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from lora_lint.findings import Note
from lora_lint.sources.adapter_files import SavedAdapter


def saved_base(adapters: Mapping[str, SavedAdapter], target: str) -> tuple[Path | None, Note | None]:
    """(the folder of the base the adapters name, a note saying so) or (None, a note naming the base tried and why)."""
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
    where = "" if resolved.source == "folder" else " from the Hugging Face cache" if resolved.source == "cache" else " from the hub"
    return resolved.folder, Note(f"checked against its base {name} (base_model_name_or_path){where}", target)
