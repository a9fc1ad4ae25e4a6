"""The content hash of a lock: each tensor's name, dtype, shape, then its stored bytes, in name order."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Iterator
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from lora_lint.facts.tensors import TensorFile


def tensor_digest(hasher: Any, key: str, dtype: str, shape: tuple[int, ...], chunks: Iterator[bytes]) -> None:
    """Feed one tensor into a content hash: its name, dtype, shape, then its stored bytes."""
    hasher.update(f"{key}|{dtype}|{','.join(map(str, shape))}\n".encode())
    for chunk in chunks:
        hasher.update(chunk)


def new_hasher() -> Any:
    return hashlib.sha256()


def saved_hash(tf: TensorFile, by_name: Iterable[tuple[str, str]]) -> str:
    """The hash of a saved weights file's tensors, ``(name, key in the file)`` in name order, read block by block."""
    hasher = new_hasher()
    for name, key in by_name:
        tensor_digest(hasher, name, tf.dtype(key), tf.shape(key), tf.raw_blocks(key))
    return f"sha256:{hasher.hexdigest()}"


def live_hash(by_name: Iterable[tuple[str, Any]]) -> str:
    """The hash of live torch tensors, ``(name, tensor)`` in name order: equal to :func:`saved_hash` once saved."""
    from lora_lint.facts.tensors import torch_block, torch_dtype_name

    hasher = new_hasher()
    for name, tensor in by_name:
        chunk = torch_block(tensor, raw=True)
        tensor_digest(hasher, name, torch_dtype_name(tensor.dtype), tuple(tensor.shape), iter([chunk]))
    return f"sha256:{hasher.hexdigest()}"
