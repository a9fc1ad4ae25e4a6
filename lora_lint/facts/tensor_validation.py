"""Refuse a broken weights file before anything trusts it: safetensors by the library's own checks, .bin by its header.

Tensors whose values lora-lint cannot read are refused by name too: sub-byte and exponent-only
floats (``F4``, ``F6_*``, ``F8_E8M0``) and complex numbers in a safetensors adapter; meta, sparse,
quantized, nested or complex tensors in a ``.bin`` (a LoRA factor is a dense real matrix).
"""

from __future__ import annotations

import zipfile
from pathlib import Path
from typing import Any

from lora_lint.errors import SetupLoadError
from lora_lint.text import one_line

#: safetensors dtypes whose values are not read (no whole-byte real number per element), and why
UNREADABLE_DTYPES = {
    "F4": "4-bit floats, two packed in a byte",
    "F6_E2M3": "6-bit floats, packed across bytes",
    "F6_E3M2": "6-bit floats, packed across bytes",
    "F8_E8M0": "8-bit exponents without a mantissa, the block scales of MX formats",
    "C64": "complex numbers",
}

#: what the refusal of an unreadable tensor tells the user to do
RESAVE = "lora-lint reads dense real tensors (F32, F16, BF16 or FP8); save the adapter again with save_pretrained"


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
        text = one_line(exc)
        hint = "" if "dtype" in text.lower() or "variant" in text.lower() else "; was it truncated?"
        raise SetupLoadError(str(path), f"not a readable safetensors file ({text}){hint}") from None


def check_adapter_dtypes(path: Path) -> None:
    """Refuse a safetensors adapter (already checked) holding a tensor whose values lora-lint cannot read."""
    from safetensors import safe_open

    with safe_open(str(path), framework="numpy") as handle:
        for key in handle.keys():
            dtype = str(handle.get_slice(key).get_dtype())
            if dtype in UNREADABLE_DTYPES:
                why = UNREADABLE_DTYPES[dtype]
                raise SetupLoadError(str(path), f"tensor {key!r} is stored as {dtype} ({why}); {RESAVE}")


def check_bin_tensors(path: Path, loaded: object) -> dict[str, Any]:
    """The state dict torch.load gave, or a SetupLoadError naming the first tensor without readable values."""
    import torch

    if not isinstance(loaded, dict) or not all(isinstance(k, str) for k in loaded):
        raise SetupLoadError(str(path), "expected a dict of tensors (a state dict)")
    if not all(isinstance(v, torch.Tensor) for v in loaded.values()):
        raise SetupLoadError(str(path), "expected a dict of tensors (a state dict)")
    for key, tensor in loaded.items():
        why = _bin_tensor_problem(tensor)
        if why is not None:
            raise SetupLoadError(str(path), f"tensor {key!r} {why}; {RESAVE}")
    return loaded


def _bin_tensor_problem(tensor: Any) -> str | None:
    import torch

    if tensor.is_nested:
        return "is a nested tensor"
    if tensor.device.type == "meta":
        return "is on the meta device (a shape without values)"
    if tensor.layout != torch.strided:
        return f"is a sparse tensor ({str(tensor.layout).removeprefix('torch.')})"
    if tensor.is_quantized:
        return f"is a quantized tensor ({str(tensor.dtype).removeprefix('torch.')})"
    if tensor.is_complex():
        return f"holds complex numbers ({str(tensor.dtype).removeprefix('torch.')})"
    if tensor.element_size() < 1 or "float4" in str(tensor.dtype) or "e8m0" in str(tensor.dtype):
        return f"is stored as {str(tensor.dtype).removeprefix('torch.')}, whose values are not read"
    return None


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
