"""Read a saved weights file one tensor (or one block of it) at a time, never the whole file at once.

safetensors files are validated with ``safetensors.safe_open`` (the library's own header and coverage
checks). Values are then read with plain file reads at the offsets the header gives, into one block of
at most ``CHUNK_BYTES``: ``safe_open`` memory-maps the file, and every page a scan touches stays in the
process's resident set, so scanning a 1 GB adapter through it grows RSS by 1 GB. No torch is imported
for safetensors (bf16 is widened to float32 in numpy); a ``.bin`` is read with ``torch.load``.
"""

from __future__ import annotations

import json
import math
import struct
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from lora_lint.errors import SetupLoadError

# re-exported: loaders validate files through this module's names
from lora_lint.facts.tensor_validation import UNREADABLE_DTYPES, check_bin_tensors
from lora_lint.facts.tensor_validation import check_safetensors as check_safetensors
from lora_lint.facts.tensor_validation import check_torch_bin as check_torch_bin

#: the most bytes one read brings into memory (a 1 GB adapter is scanned in blocks of this size)
CHUNK_BYTES = 4 * 2**20

#: safetensors dtype -> numpy dtype of the stored bytes (BF16 is read as uint16 and widened)
_STORED = {
    "F64": "<f8", "F32": "<f4", "F16": "<f2", "BF16": "<u2", "I64": "<i8", "I32": "<i4", "I16": "<i2",
    "I8": "i1", "U64": "<u8", "U32": "<u4", "U16": "<u2", "U8": "u1", "BOOL": "?",
    "F8_E4M3": "u1", "F8_E5M2": "u1", "F8_E4M3FNUZ": "u1", "F8_E5M2FNUZ": "u1",
}  # fmt: skip


class TensorFile:
    """A saved weights file (safetensors or torch ``.bin``), read lazily, one block at a time."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self._header: dict[str, Any] | None = None
        self._data_start = 0
        self._fh: Any = None
        self._bin: dict[str, Any] | None = None
        #: the one buffer ``blocks(reuse=True)`` reads into
        self._buffer: Any = None

    @property
    def is_safetensors(self) -> bool:
        return self.path.suffix == ".safetensors"

    # -- opening ------------------------------------------------------------------------------
    def _entries(self) -> dict[str, Any]:
        if self._header is None:
            check_safetensors(self.path)  # the library's validation before we trust any offset
            with self.path.open("rb") as fh:
                (size,) = struct.unpack("<Q", fh.read(8))
                header = json.loads(fh.read(size))
            header.pop("__metadata__", None)
            self._header, self._data_start = header, 8 + size
        return self._header

    def _file(self) -> Any:
        if self._fh is None:
            self._fh = self.path.open("rb")
        return self._fh

    def _bin_dict(self) -> dict[str, Any]:
        if self._bin is None:
            import pickle
            import warnings

            import torch

            try:
                with warnings.catch_warnings():  # torch's TypedStorage deprecation for old or quantized files
                    warnings.simplefilter("ignore")
                    try:
                        loaded = torch.load(self.path, map_location="cpu", weights_only=True, mmap=True)
                    except RuntimeError as exc:
                        if "mmap" not in str(exc):
                            raise
                        loaded = torch.load(self.path, map_location="cpu", weights_only=True)
            except (RuntimeError, EOFError, OSError, pickle.UnpicklingError, ValueError) as exc:
                first = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
                raise SetupLoadError(str(self.path), f"cannot load it with torch.load(weights_only=True): {first}") from None
            self._bin = check_bin_tensors(self.path, loaded)
        return self._bin

    def close(self) -> None:
        if self._fh is not None:
            self._fh.close()
        self._fh = self._bin = None

    def __enter__(self) -> TensorFile:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- metadata (header only) ---------------------------------------------------------------
    def keys(self) -> list[str]:
        return list(self._entries()) if self.is_safetensors else list(self._bin_dict())

    def shape(self, key: str) -> tuple[int, ...]:
        if self.is_safetensors:
            return tuple(self._entries()[key]["shape"])
        return tuple(self._bin_dict()[key].shape)

    def dtype(self, key: str) -> str:
        """The dtype as safetensors spells it (``F32``, ``BF16``, ...), also for ``.bin`` files."""
        if self.is_safetensors:
            return str(self._entries()[key]["dtype"])
        return torch_dtype_name(self._bin_dict()[key].dtype)

    # -- values -------------------------------------------------------------------------------
    def blocks(self, key: str, axis: int = 0, reuse: bool = False) -> Iterator[Any]:
        """The tensor as 2-D numpy blocks ``(rows, columns)``: dim 0 by the rest, at most CHUNK_BYTES each.

        ``axis=0`` gives blocks of whole rows; ``axis=1`` blocks of columns over all rows, so a wide
        ``r x features`` LoRA A factor is reduced to ``A·Aᵀ`` without holding it whole. Floats come back
        as float32 (or float64); integers keep their type. With ``reuse`` (rows of a safetensors file)
        every block is read into the same buffer, valid until the next one: a scan then touches no
        fresh memory per block, which makes reading a checkpoint several times faster.
        """
        rows, cols = _as_2d(self.shape(key))
        if rows * cols == 0:  # [2**50, 0] holds nothing: no blocks, not 2**28 empty ones
            return
        self._require_readable(key)
        item = self._item_size(key)
        if axis == 0:
            step = max(1, CHUNK_BYTES // max(cols * item, 1))
            for start in range(0, rows, step):
                yield self._rows(key, start, min(start + step, rows), raw=False, reuse=reuse)
        else:
            step = max(1, CHUNK_BYTES // max(rows * item, 1))
            for start in range(0, cols, step):
                yield self._columns(key, start, min(start + step, cols))

    def raw_blocks(self, key: str) -> Iterator[bytes]:
        """The stored bytes (little-endian, stored dtype) in blocks of rows, for a content hash."""
        rows, cols = _as_2d(self.shape(key))
        if rows * cols == 0:  # zero elements: no bytes, whatever the declared dimensions
            return
        self._require_readable(key)
        step = max(1, CHUNK_BYTES // max(cols * self._item_size(key), 1))
        for start in range(0, rows, step):
            yield self._rows(key, start, min(start + step, rows), raw=True)

    def values_readable(self, key: str) -> bool:
        """Whether the tensor's elements are whole bytes read as numbers (not F4, F6, E8M0 or complex)."""
        return not self.is_safetensors or self.dtype(key) in _STORED

    def _require_readable(self, key: str) -> None:
        if not self.values_readable(key):
            dtype = self.dtype(key)
            why = UNREADABLE_DTYPES.get(dtype, "a dtype lora-lint does not know")
            raise SetupLoadError(str(self.path), f"tensor {key!r} is stored as {dtype} ({why}); its values cannot be read")

    def _item_size(self, key: str) -> int:
        if self.is_safetensors:
            return int(_numpy().dtype(_STORED.get(self.dtype(key), "u1")).itemsize)
        return int(self._bin_dict()[key].element_size())

    def _rows(self, key: str, start: int, stop: int, raw: bool, reuse: bool = False) -> Any:
        rows, cols = _as_2d(self.shape(key))
        if not self.is_safetensors:
            tensor = self._bin_dict()[key].reshape(rows, cols)[start:stop]
            return torch_block(tensor, raw)
        np = _numpy()
        entry = self._entries()[key]
        stored = np.dtype(_STORED.get(entry["dtype"], "u1"))
        offset = self._data_start + entry["data_offsets"][0] + start * cols * stored.itemsize
        count = (stop - start) * cols
        fh = self._file()
        fh.seek(offset)
        if reuse and not raw:
            size = count * stored.itemsize
            if self._buffer is None or self._buffer.nbytes < size:
                self._buffer = np.empty(max(size, CHUNK_BYTES), dtype=np.uint8)
            view = self._buffer[:size]
            if fh.readinto(memoryview(view)) != size:
                raise SetupLoadError(str(self.path), f"{key} is cut short: the file ends inside its data")
            return _widen(view.view(stored).reshape(stop - start, cols), entry["dtype"])
        buffer = fh.read(count * stored.itemsize)
        if raw:
            return buffer
        return _widen(np.frombuffer(buffer, dtype=stored).reshape(stop - start, cols), entry["dtype"])

    def _columns(self, key: str, start: int, stop: int) -> Any:
        rows, cols = _as_2d(self.shape(key))
        if not self.is_safetensors:
            return torch_block(self._bin_dict()[key].reshape(rows, cols)[:, start:stop], raw=False)
        np = _numpy()
        entry = self._entries()[key]
        stored = np.dtype(_STORED.get(entry["dtype"], "u1"))
        out = np.empty((rows, stop - start), dtype=stored)
        fh = self._file()
        base = self._data_start + entry["data_offsets"][0]
        for row in range(rows):
            fh.seek(base + (row * cols + start) * stored.itemsize)
            out[row] = np.frombuffer(fh.read((stop - start) * stored.itemsize), dtype=stored)
        return _widen(out, entry["dtype"])


def _numpy() -> Any:
    import numpy as np

    return np


def _as_2d(shape: tuple[int, ...]) -> tuple[int, int]:
    if not shape:
        return 1, 1
    return shape[0], math.prod(shape[1:])


def _widen(block: Any, dtype: str) -> Any:
    """float16 -> float32; bf16 (its upper 16 bits of a float32) -> float32; fp8 stays raw bytes."""
    np = _numpy()
    if dtype == "F16":
        return block.astype(np.float32)
    if dtype == "BF16":
        return (block.astype(np.uint32) << 16).view(np.float32)
    return block


def torch_block(tensor: Any, raw: bool) -> Any:
    """A torch tensor's values as numpy (float16/bf16 widened), or with ``raw`` its stored bytes."""
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


def torch_dtype_name(dtype: Any) -> str:
    """The safetensors name of a torch dtype (``torch.bfloat16`` -> ``BF16``)."""
    name = str(dtype).replace("torch.", "")
    table = {
        "float32": "F32", "float16": "F16", "bfloat16": "BF16", "float64": "F64", "int64": "I64",
        "int32": "I32", "int16": "I16", "int8": "I8", "uint8": "U8", "bool": "BOOL",
        "float8_e4m3fn": "F8_E4M3", "float8_e5m2": "F8_E5M2",
    }  # fmt: skip
    return table.get(name, name.upper())
