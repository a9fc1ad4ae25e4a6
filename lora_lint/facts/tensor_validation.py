"""Refuse a broken weights file before anything trusts it: safetensors by the library's own checks, .bin by its header."""

from __future__ import annotations

import zipfile
from pathlib import Path

from lora_lint.errors import SetupLoadError


def check_safetensors(path: Path) -> list[str]:
    """The tensor names of a safetensors file; a truncated or malformed file is a SetupLoadError."""
    from safetensors import SafetensorError, safe_open

    try:
        with safe_open(str(path), framework="numpy") as handle:
            return list(handle.keys())
    except PermissionError:
        raise SetupLoadError(str(path), "permission denied (the file cannot be read)") from None
    except OSError as exc:
        raise SetupLoadError(str(path), f"cannot read it: {exc.strerror or exc}") from None
    except SafetensorError as exc:
        text = " ".join(str(exc).split())
        hint = "" if "dtype" in text.lower() or "variant" in text.lower() else "; was it truncated?"
        raise SetupLoadError(str(path), f"not a readable safetensors file ({text}){hint}") from None


def check_torch_bin(path: Path) -> None:
    """Refuse a ``.bin`` that is neither a torch zip archive nor a legacy pickle, without importing torch."""
    try:
        with path.open("rb") as fh:
            head = fh.read(4)
    except OSError as exc:
        raise SetupLoadError(str(path), str(exc)) from None
    if zipfile.is_zipfile(path):
        return
    if head[:1] == b"\x80":  # a legacy (pre-zip) torch.save pickle; torch.load decides later
        return
    hint = "a truncated archive" if head[:2] == b"PK" else "not a PyTorch checkpoint"
    raise SetupLoadError(str(path), f"cannot read it as a torch checkpoint ({hint})")
