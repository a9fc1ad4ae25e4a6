"""Read a saved weights file one tensor (or one block of rows) at a time, never the whole file at once."""

from __future__ import annotations

import hashlib
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from lora_lint.errors import SetupLoadError

#: the most bytes one read may bring into memory (a 1 GB adapter is scanned in blocks of this size)
CHUNK_BYTES = 16 * 2**20

#: safetensors dtypes numpy reads natively; the others (BF16, F8_*) go through torch
_NUMPY_DTYPES = frozenset({"F16", "F32", "F64", "I8", "I16", "I32", "I64", "U8", "U16", "U32", "U64", "BOOL"})
_ITEM_SIZE = {"F64": 8, "I64": 8, "U64": 8, "F32": 4, "I32": 4, "U32": 4, "F16": 2, "BF16": 2, "I16": 2, "U16": 2}


def _np() -> Any:
    import numpy as np

    return np


def check_safetensors(path: Path) -> list[str]:
    """The tensor names of a safetensors file; a truncated or malformed file is a SetupLoadError."""
    from safetensors import SafetensorError, safe_open

    try:
        with safe_open(str(path), framework="numpy") as handle:
            return list(handle.keys())
    except (SafetensorError, OSError) as exc:
        raise SetupLoadError(str(path), f"not a readable safetensors file ({exc}); was it truncated?") from None


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


class TensorFile:
    """A saved adapter weights file (safetensors or torch ``.bin``) read lazily, tensor by tensor.

    safetensors are read with ``framework="numpy"`` so that scanning fp32/fp16 adapters never
    imports torch; bf16 and fp8 tensors (which numpy cannot hold) are read through torch one block
    at a time. A ``.bin`` is loaded with ``torch.load(weights_only=True, mmap=True)``.
    """

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self._np_handle: Any = None
        self._pt_handle: Any = None
        self._bin: dict[str, Any] | None = None
        self._keys: list[str] | None = None

    # -- opening ------------------------------------------------------------------------------
    @property
    def is_safetensors(self) -> bool:
        return self.path.suffix == ".safetensors"

    def _numpy_handle(self) -> Any:
        if self._np_handle is None:
            from safetensors import SafetensorError, safe_open

            try:
                self._np_handle = safe_open(str(self.path), framework="numpy")
            except (SafetensorError, OSError) as exc:
                raise SetupLoadError(str(self.path), f"not a readable safetensors file ({exc})") from None
        return self._np_handle

    def _torch_handle(self) -> Any:
        if self._pt_handle is None:
            from safetensors import safe_open

            self._pt_handle = safe_open(str(self.path), framework="pt")
        return self._pt_handle

    def _bin_dict(self) -> dict[str, Any]:
        if self._bin is None:
            import pickle

            import torch

            try:
                try:
                    loaded = torch.load(self.path, map_location="cpu", weights_only=True, mmap=True)
                except RuntimeError as exc:
                    if "mmap" not in str(exc):
                        raise
                    loaded = torch.load(self.path, map_location="cpu", weights_only=True)
            except (RuntimeError, EOFError, OSError, pickle.UnpicklingError, ValueError) as exc:
                first = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
                raise SetupLoadError(str(self.path), f"cannot load it with torch.load(weights_only=True): {first}") from None
            if not isinstance(loaded, dict) or not all(isinstance(v, torch.Tensor) for v in loaded.values()):
                raise SetupLoadError(str(self.path), "expected a dict of tensors (a state dict)")
            self._bin = loaded
        return self._bin

    def close(self) -> None:
        self._np_handle = self._pt_handle = self._bin = None

    def __enter__(self) -> TensorFile:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- metadata (header only) ---------------------------------------------------------------
    def keys(self) -> list[str]:
        if self._keys is None:
            self._keys = list(self._numpy_handle().keys()) if self.is_safetensors else list(self._bin_dict())
        return self._keys

    def shape(self, key: str) -> tuple[int, ...]:
        if self.is_safetensors:
            return tuple(self._numpy_handle().get_slice(key).get_shape())
        return tuple(self._bin_dict()[key].shape)

    def dtype(self, key: str) -> str:
        """The dtype as safetensors spells it (``F32``, ``BF16``, ...), also for ``.bin`` files."""
        if self.is_safetensors:
            return str(self._numpy_handle().get_slice(key).get_dtype())
        return _torch_dtype_name(self._bin_dict()[key].dtype)

    # -- values -------------------------------------------------------------------------------
    def blocks(self, key: str) -> Iterator[Any]:
        """The tensor's values as numpy arrays, in blocks of rows (dim 0) of at most CHUNK_BYTES.

        16-bit floats come back as float32; everything else keeps its dtype.
        """
        shape = self.shape(key)
        if not shape:
            yield self._read(key, None)
            return
        row_bytes = _ITEM_SIZE.get(self.dtype(key), 4)
        for dim in shape[1:]:
            row_bytes *= dim
        step = max(1, CHUNK_BYTES // max(row_bytes, 1))
        for start in range(0, shape[0], step):
            yield self._read(key, slice(start, min(start + step, shape[0])))

    def raw_blocks(self, key: str) -> Iterator[bytes]:
        """The stored bytes (little-endian, stored dtype) in row blocks, for a content hash."""
        shape = self.shape(key)
        rows = shape[0] if shape else 1
        row_bytes = _ITEM_SIZE.get(self.dtype(key), 4)
        for dim in shape[1:]:
            row_bytes *= dim
        step = max(1, CHUNK_BYTES // max(row_bytes, 1))
        for start in range(0, rows, step):
            rows_slice = slice(start, min(start + step, rows)) if shape else None
            yield self._read(key, rows_slice, raw=True)

    def matrix(self, key: str) -> Any:
        """The whole tensor as a float64 matrix with dim 0 as rows (LoRA A/B are small: r x features)."""
        np = _np()
        parts = [np.asarray(b, dtype=np.float64) for b in self.blocks(key)]
        whole = np.concatenate(parts, axis=0) if len(parts) > 1 else parts[0]
        return whole.reshape(whole.shape[0], -1) if whole.ndim else whole.reshape(1, 1)

    def _read(self, key: str, rows: slice | None, raw: bool = False) -> Any:
        np = _np()
        if self.is_safetensors and self.dtype(key) in _NUMPY_DTYPES:
            sl = self._numpy_handle().get_slice(key)
            block = sl[rows] if rows is not None else sl[:]
            if raw:
                return np.ascontiguousarray(block).tobytes()  # safetensors stores little-endian, as x86/ARM do
            return block.astype(np.float32) if block.dtype == np.float16 else block
        if self.is_safetensors:
            sl = self._torch_handle().get_slice(key)
            tensor = sl[rows] if rows is not None else sl[:]
        else:
            tensor = self._bin_dict()[key]
            tensor = tensor[rows] if rows is not None else tensor
        return _torch_block(tensor, raw)


def _torch_block(tensor: Any, raw: bool) -> Any:
    import torch

    tensor = tensor.detach().cpu().contiguous()
    if raw:
        if tensor.dtype in (torch.bfloat16, torch.float16):
            return tensor.view(torch.int16).numpy().tobytes()
        if tensor.element_size() == 1 and tensor.is_floating_point():
            return tensor.view(torch.uint8).numpy().tobytes()
        return tensor.numpy().tobytes()
    if tensor.is_floating_point() and tensor.dtype not in (torch.float32, torch.float64):
        tensor = tensor.float()
    return tensor.numpy()


def _torch_dtype_name(dtype: Any) -> str:
    name = str(dtype).replace("torch.", "")
    table = {
        "float32": "F32", "float16": "F16", "bfloat16": "BF16", "float64": "F64", "int64": "I64",
        "int32": "I32", "int16": "I16", "int8": "I8", "uint8": "U8", "bool": "BOOL",
    }  # fmt: skip
    return table.get(name, name.upper())


def tensor_digest(hasher: Any, key: str, dtype: str, shape: tuple[int, ...], chunks: Iterator[bytes]) -> None:
    """Feed one tensor into a content hash: its name, dtype, shape, then its stored bytes."""
    hasher.update(f"{key}|{dtype}|{','.join(map(str, shape))}\n".encode())
    for chunk in chunks:
        hasher.update(chunk)


def new_hasher() -> Any:
    return hashlib.sha256()
