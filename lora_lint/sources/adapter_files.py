"""Find and validate saved peft adapters in a folder (config JSON and weight headers only, no torch)."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from lora_lint.errors import SetupLoadError

# peft.utils.constants: CONFIG_NAME, SAFETENSORS_WEIGHTS_NAME, WEIGHTS_NAME (spelled out: importing peft imports torch)
CONFIG_NAME = "adapter_config.json"
SAFETENSORS_NAME = "adapter_model.safetensors"
BIN_NAME = "adapter_model.bin"
TRAINER_STATE = "trainer_state.json"
CHECKPOINT_RE = re.compile(r"^checkpoint-(\d+)$")


@dataclass(frozen=True)
class SavedAdapter:
    """One adapter as peft saved it: its folder, its config as written, its weights file (if any)."""

    name: str
    folder: Path
    config: dict[str, Any]
    weights: Path | None

    @property
    def config_file(self) -> Path:
        return self.folder / CONFIG_NAME

    @property
    def file(self) -> Path:
        """What findings point at: the weights file, or the config when there are no weights."""
        return self.weights or self.config_file


def read_json(path: Path, what: str) -> Any:
    """Parse a JSON file; an unreadable, truncated or malformed one is a SetupLoadError naming the file and why."""
    from lora_lint.sources.file_reading import parse_json, read_config_text

    return parse_json(read_config_text(path), path, what)


def read_adapter_config(folder: Path) -> dict[str, Any]:
    path = folder / CONFIG_NAME
    data = read_json(path, CONFIG_NAME)
    if not isinstance(data, dict):
        raise SetupLoadError(str(path), f"{CONFIG_NAME} must hold a JSON object, not {type(data).__name__}")
    peft_type = str(data.get("peft_type") or "LORA").split(".")[-1].upper()
    if peft_type != "LORA":
        raise SetupLoadError(str(path), f"peft_type is {peft_type}; lora-lint checks LoRA adapters only")
    from lora_lint.sources.lora_fields import check_lora_fields

    check_lora_fields(data, path)
    return data


def weights_file(folder: Path) -> Path | None:
    """peft prefers safetensors when both exist (load_peft_weights)."""
    from lora_lint.sources.file_reading import named

    for name in (SAFETENSORS_NAME, BIN_NAME):
        if named(folder / name):  # a FIFO or unreadable file is refused by name when validated, not skipped
            return folder / name
    return None


def validate_weights(path: Path) -> None:
    from lora_lint.facts.tensor_validation import check_adapter_dtypes, check_safetensors, check_torch_bin
    from lora_lint.sources.file_reading import require_regular_file

    require_regular_file(path)  # before any open: opening a FIFO waits for a writer forever
    if path.suffix == ".safetensors":
        check_safetensors(path)
        check_adapter_dtypes(path)
    else:
        check_torch_bin(path)


def adapter_folders(folder: Path) -> dict[str, Path]:
    """Adapter name -> folder, as peft's ``save_pretrained`` lays several adapters out.

    The ``default`` adapter sits in the folder itself, every other one in a subfolder named after it
    (peft ``PeftModel.save_pretrained``); a lone subfolder (e.g. ``adapter/``) is also found.
    """
    from lora_lint.sources.file_reading import named

    found: dict[str, Path] = {}
    if named(folder / CONFIG_NAME):  # whatever it is: read_adapter_config says why it cannot be read
        found["default"] = folder
    try:
        children = sorted(p for p in folder.iterdir() if p.is_dir())
    except OSError:
        return found
    for child in children:
        if CHECKPOINT_RE.match(child.name) or child.name.startswith("."):
            continue
        if named(child / CONFIG_NAME):
            found.setdefault(child.name, child)
    return found


def load_adapters(folder: Path) -> dict[str, SavedAdapter]:
    """Every adapter in ``folder``, configs parsed and weight headers checked (exit 2 when broken)."""
    adapters: dict[str, SavedAdapter] = {}
    for name, path in adapter_folders(folder).items():
        weights = weights_file(path)
        if weights is not None:
            validate_weights(weights)
        adapters[name] = SavedAdapter(name, path, read_adapter_config(path), weights)
    return adapters


def trainer_step(folder: Path, root: Path | None = None) -> int | None:
    """``global_step`` from the ``trainer_state.json`` the HF Trainer writes beside a checkpoint.

    ``root`` is the folder the adapter was found in when it sits in a subfolder (``adapter/``).
    """
    places = [folder] if root is None or root == folder else [folder, root]
    for candidate in (p / TRAINER_STATE for p in places):
        if candidate.is_file():
            try:
                step = json.loads(candidate.read_text(encoding="utf-8")).get("global_step")
            except (OSError, ValueError, AttributeError):
                return None
            return step if isinstance(step, int) else None
    return None


def checkpoint_step(path: Path) -> int | None:
    match = CHECKPOINT_RE.match(path.name)
    return int(match.group(1)) if match else None


def run_checkpoints(folder: Path) -> list[Path]:
    """The ``checkpoint-N`` subfolders that hold an adapter, ordered by step (checkpoint-100 after -20).

    An adapter may sit in the checkpoint itself (HF Trainer) or in a subfolder such as ``adapter/``.
    """
    try:
        children = [p for p in folder.iterdir() if p.is_dir() and CHECKPOINT_RE.match(p.name)]
    except OSError:
        return []
    with_adapters = [p for p in children if adapter_folders(p)]
    return sorted(with_adapters, key=lambda p: checkpoint_step(p) or 0)
