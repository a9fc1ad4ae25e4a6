"""A base model named by folder or hub id -> a local folder holding its config.json (never its weights).

Order: a local folder, then the Hugging Face cache (works offline), then the hub when online. Every
step goes through huggingface_hub's own resolution, so ``HF_HOME``, ``HF_HUB_CACHE``,
``HF_HUB_OFFLINE``, revisions and tokens (``HF_TOKEN``, ``huggingface-cli login``) behave as in any
Hugging Face tool. Only ``config.json`` is ever fetched: the base is then built on the meta device.
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass
from pathlib import Path

CONFIG = "config.json"
_HUB_ID = re.compile(r"^[A-Za-z0-9][\w.-]*(/[A-Za-z0-9][\w.-]*)?$")


@dataclass(frozen=True)
class ResolvedModel:
    """Where a named base model's config.json lives, or why it could not be found."""

    name: str
    folder: Path | None
    #: "folder", "cache" or "hub"; None when unresolved
    source: str | None = None
    #: when unresolved: one sentence naming the model, why, and how to give a folder
    reason: str | None = None


def looks_like_hub_id(name: str) -> bool:
    """``org/name`` or ``name`` (no path separators beyond one slash, no ``..``)."""
    return bool(_HUB_ID.match(name)) and ".." not in name and not name.endswith((".json", ".yml", ".yaml"))


def resolve_model(name: str, revision: str | None = None) -> ResolvedModel:
    """A folder for ``name``: itself when it is one, else its config.json's snapshot folder in the HF cache."""
    path = Path(name).expanduser()
    if path.is_dir():
        return ResolvedModel(name, path, "folder")
    if not looks_like_hub_id(name):
        return ResolvedModel(name, None, reason=f"{name}: {_not_a_folder(path)}")
    from huggingface_hub import constants, try_to_load_from_cache

    at = f" at revision {revision}" if revision else ""
    cached = try_to_load_from_cache(name, CONFIG, revision=revision)
    if isinstance(cached, str):
        return ResolvedModel(name, Path(cached).parent, "cache")
    how = f"download its config.json (huggingface-cli download {name} {CONFIG}) or give a folder with config.json"
    if constants.HF_HUB_OFFLINE:
        close = closest_cached(name)
        also = f"; cached models with close names: {', '.join(close)}" if close else ""
        return ResolvedModel(
            name, None, reason=f"{name}{at} is not a folder and not in the Hugging Face cache (offline){also}; {how}"
        )
    return _download(name, revision, at, how)


def _download(name: str, revision: str | None, at: str, how: str) -> ResolvedModel:
    from huggingface_hub import hf_hub_download
    from huggingface_hub.errors import GatedRepoError, HfHubHTTPError, RepositoryNotFoundError, RevisionNotFoundError

    try:
        file = hf_hub_download(name, CONFIG, revision=revision)
    except GatedRepoError:
        why = "is gated: accept its license on the hub and log in (huggingface-cli login or HF_TOKEN)"
    except RevisionNotFoundError:
        why = "has no such revision on the hub"
    except RepositoryNotFoundError:
        close = closest_cached(name)
        why = "is not on the hub (or is private)" + (f"; cached models with close names: {', '.join(close)}" if close else "")
    except (HfHubHTTPError, OSError, ValueError) as exc:  # no config.json in the repo, no connection
        why = f"could not be fetched ({type(exc).__name__})"
    else:
        return ResolvedModel(name, Path(file).parent, "hub")
    return ResolvedModel(name, None, reason=f"{name}{at} {why}; {how}")


def closest_cached(name: str, n: int = 3) -> list[str]:
    """Model ids in the Hugging Face cache that look like ``name`` (for a typo), closest first."""
    from huggingface_hub import constants, scan_cache_dir
    from huggingface_hub.errors import CacheNotFound

    try:
        # the cache huggingface_hub resolves from now (older releases bind scan_cache_dir's default at import)
        repos = [r.repo_id for r in scan_cache_dir(constants.HF_HUB_CACHE).repos if r.repo_type == "model"]
    except (CacheNotFound, OSError, ValueError):
        return []
    by_lower = {r.lower(): r for r in repos}
    return [by_lower[m] for m in difflib.get_close_matches(name.lower(), list(by_lower), n=n, cutoff=0.6)]


def model_option_folder(name: str) -> str:
    """``--model`` as a folder: given one, or the hub id's snapshot folder; unresolvable is an exit-2 error."""
    from lora_lint.errors import UsageError

    resolved = resolve_model(name)
    if resolved.folder is None:
        raise UsageError(f"--model {resolved.reason}")
    return str(resolved.folder)


def _not_a_folder(path: Path) -> str:
    """Why a --model path that is no hub id names no folder: missing, a file, or a file in its way."""
    from lora_lint.sources.file_reading import file_in_the_way

    try:
        path.stat()
    except NotADirectoryError:
        return f"no such folder ({file_in_the_way(path)} is a file, not a folder)"
    except OSError:
        return "no such folder (and not a hub id)"
    return "a file, not a model folder (give the folder that holds config.json)"
