"""Build a base model from a folder: on the meta device from config.json alone, or with its weights."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from lora_lint.errors import SetupLoadError

WEIGHT_FILES = ("model.safetensors", "model.safetensors.index.json", "pytorch_model.bin", "pytorch_model.bin.index.json")


@dataclass
class BaseModel:
    """A base model and whether it holds real weights."""

    model: Any
    weights: bool
    #: why the architecture could not be built offline (remote code), else None
    unverifiable: str | None = None


def has_weights(folder: Path) -> bool:
    return any((folder / name).is_file() for name in WEIGHT_FILES)


def read_model_config(folder: Path) -> dict[str, Any]:
    path = folder / "config.json"
    if not path.is_file():
        raise SetupLoadError(str(folder), "no config.json in the model folder")
    try:
        data = json.loads(path.read_text())
    except (OSError, ValueError) as exc:
        raise SetupLoadError(str(path), f"malformed JSON: {exc}") from None
    if not isinstance(data, dict):
        raise SetupLoadError(str(path), "config.json must hold a JSON object")
    return data


def _model_class(config: Any, raw: dict[str, Any]) -> Any:
    import transformers

    for arch in raw.get("architectures") or ():
        cls = getattr(transformers, arch, None)
        if cls is not None:
            return cls
    return transformers.AutoModelForCausalLM


def build_base_model(folder: str | Path, *, device: str = "cpu", weights: bool | None = None) -> BaseModel:
    """The base model of ``folder``; with no weights on disk (or ``weights=False``) built on meta.

    Remote-code architectures cannot be built offline: the result has ``model=None`` and
    ``unverifiable`` says why, so rules report "cannot verify" rather than "matches nothing".
    """
    folder = Path(folder)
    raw = read_model_config(folder)
    if raw.get("auto_map"):
        return BaseModel(None, False, f"{folder} needs remote code ({raw.get('model_type', '?')}); it cannot be built offline")
    import torch
    from transformers import AutoConfig

    try:
        config = AutoConfig.from_pretrained(folder, local_files_only=True)
    except (ValueError, KeyError, OSError) as exc:
        return BaseModel(None, False, f"transformers cannot read {folder}/config.json: {exc}")
    cls = _model_class(config, raw)
    use_weights = has_weights(folder) if weights is None else weights
    try:
        if use_weights:
            model = cls.from_pretrained(folder, local_files_only=True).to(device)
        else:
            with torch.device("meta"):
                model = cls.from_config(config) if hasattr(cls, "from_config") else cls._from_config(config)
    except Exception as exc:  # transformers raises many types for a broken checkpoint
        raise SetupLoadError(str(folder), f"{type(exc).__name__}: {exc}") from None
    return BaseModel(model, use_weights)
