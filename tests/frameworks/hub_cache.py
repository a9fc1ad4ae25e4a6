"""Build a Hugging Face cache folder holding only the config.json of the models in tests/frameworks/data/hub."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

HUB_DATA = Path(__file__).parent / "data" / "hub"


def hub_ids() -> list[str]:
    return sorted(p.stem.replace("--", "/", 1) for p in HUB_DATA.glob("*.json"))


def build_hub_cache(root: Path, ids: list[str] | None = None, extra: dict[str, bytes] | None = None) -> Path:
    """``root/models--org--name/{blobs,refs/main,snapshots/<sha>/config.json}`` as huggingface_hub writes it.

    ``extra``: more repo ids with their config.json text (e.g. a tiny model's, to check a saved adapter).
    """
    root.mkdir(parents=True, exist_ok=True)
    texts = {r: (HUB_DATA / (r.replace("/", "--") + ".json")).read_bytes() for r in (ids or hub_ids())}
    texts.update(extra or {})
    for repo_id, text in texts.items():
        repo = root / ("models--" + repo_id.replace("/", "--"))
        blob = hashlib.sha256(text).hexdigest()
        commit = hashlib.sha1(repo_id.encode()).hexdigest()
        (repo / "blobs").mkdir(parents=True, exist_ok=True)
        (repo / "blobs" / blob).write_bytes(text)
        (repo / "refs").mkdir(exist_ok=True)
        (repo / "refs" / "main").write_text(commit)
        snapshot = repo / "snapshots" / commit
        snapshot.mkdir(parents=True, exist_ok=True)
        link = snapshot / "config.json"
        if not link.exists():
            os.symlink(os.path.relpath(repo / "blobs" / blob, snapshot), link)
    return root
