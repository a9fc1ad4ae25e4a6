"""Adapter weights whose values cannot be read (meta, sparse, 4- and 6-bit floats): one line, exit 2, never a traceback."""

from __future__ import annotations

import json
import math
import os
import struct
from pathlib import Path
from typing import Any, Callable

import pytest

from tests.fuzz.conftest import ADAPTER_CONFIG, assert_refused, cli, lora_tensors, write

A = "base_model.model.model.layers.0.self_attn.q_proj.lora_A.weight"
B = "base_model.model.model.layers.0.self_attn.q_proj.lora_B.weight"


@pytest.fixture(scope="module", autouse=True)
def _imported() -> None:
    """torch imported once, so the time asserted is the check's, not the import's."""
    import torch  # noqa: F401


def torch_tensors() -> dict[str, Any]:
    import torch

    return {k: torch.from_numpy(v) for k, v in lora_tensors().items()}  # type: ignore[arg-type]


def _meta(t: dict[str, Any]) -> None:
    import torch

    t[A] = torch.empty(t[A].shape, device="meta")


def _all_meta(t: dict[str, Any]) -> None:
    import torch

    for key in list(t):
        t[key] = torch.empty(t[key].shape, device="meta")


#: (name, change to the state dict, words the refusal must hold)
BIN_CASES: list[tuple[str, Callable[[dict[str, Any]], None], str]] = [
    ("meta", _meta, "meta device"),
    ("all_meta", _all_meta, "meta device"),
    ("sparse_coo", lambda t: t.update({A: t[A].to_sparse()}), "sparse tensor (sparse_coo)"),
    ("sparse_csr", lambda t: t.update({B: t[B].to_sparse_csr()}), "sparse tensor (sparse_csr)"),
    ("complex", lambda t: t.update({A: t[A].to(__import__("torch").complex64)}), "complex"),
]


@pytest.mark.filterwarnings("ignore::UserWarning")  # torch's own "sparse CSR is in beta" when building the case
@pytest.mark.parametrize(("name", "change", "words"), BIN_CASES, ids=[c[0] for c in BIN_CASES])
def test_a_bin_without_dense_values_is_refused(name: str, change: Callable[[dict[str, Any]], None], words: str,
                                               tmp_path: Path) -> None:  # fmt: skip
    import torch

    folder = tmp_path / "adapter"
    write(folder / "adapter_config.json", json.dumps(ADAPTER_CONFIG))
    tensors = torch_tensors()
    change(tensors)
    torch.save(tensors, folder / "adapter_model.bin")
    for fmt in ("text", "json"):
        answer = cli("check", str(folder), "--format", fmt)
        line = assert_refused(answer, "adapter_model.bin", words)
        assert "crashed" not in line and "torch.load" not in line, line
        assert answer.out == "", answer.out


def test_a_bin_is_still_read_with_weights_only(tmp_path: Path) -> None:
    """A plain dense state dict still loads, and a pickle that calls code is refused before it runs."""
    import torch

    folder = tmp_path / "adapter"
    write(folder / "adapter_config.json", json.dumps(ADAPTER_CONFIG))
    torch.save(torch_tensors(), folder / "adapter_model.bin")
    answer = cli("check", str(folder), "--format", "json")
    assert answer.rc == 0, (answer.rc, answer.err)
    marker = tmp_path / "ran"
    torch.save({A: torch.zeros(4, 16), "x": _Planted(marker)}, folder / "adapter_model.bin")
    assert_refused(cli("check", str(folder)), "adapter_model.bin", "weights_only=True")
    assert not marker.exists()


class _Planted:
    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self) -> tuple[object, tuple[str]]:
        return (os.system, (f"touch {self.marker}",))


#: bits per element of the dtypes written by hand (safetensors' numpy API has no 4- or 6-bit float)
BITS = {"F4": 4, "F6_E2M3": 6, "F6_E3M2": 6, "F8_E8M0": 8, "C64": 64, "F8_E4M3": 8}


def write_safetensors(path: Path, dtype_of: Callable[[str], str]) -> None:
    """A safetensors file laid out as the format specifies: 8-byte header size, JSON header, packed data."""
    header: dict[str, Any] = {}
    blobs: list[bytes] = []
    offset = 0
    for key, value in lora_tensors().items():
        dtype = dtype_of(key)
        if dtype == "F32":
            data = value.tobytes()  # type: ignore[attr-defined]
        else:
            data = bytes(range(1, 256)) * 8
            data = data[: math.ceil(math.prod(value.shape) * BITS[dtype] / 8)]  # type: ignore[attr-defined]
        shape = list(value.shape)  # type: ignore[attr-defined]
        header[key] = {"dtype": dtype, "shape": shape, "data_offsets": [offset, offset + len(data)]}
        blobs.append(data)
        offset += len(data)
    text = json.dumps(header).encode()
    text += b" " * (-len(text) % 8)
    path.write_bytes(struct.pack("<Q", len(text)) + text + b"".join(blobs))


@pytest.mark.parametrize("dtype", ["F4", "F6_E2M3", "F6_E3M2", "F8_E8M0", "C64"])
@pytest.mark.parametrize("scope", ["one", "all"])
def test_safetensors_with_unreadable_floats_is_one_line(dtype: str, scope: str, tmp_path: Path) -> None:
    from safetensors import safe_open

    folder = tmp_path / "adapter"
    write(folder / "adapter_config.json", json.dumps(ADAPTER_CONFIG))
    weights = folder / "adapter_model.safetensors"
    write_safetensors(weights, lambda key: dtype if scope == "all" or key == B else "F32")
    with safe_open(str(weights), framework="numpy") as handle:  # the library itself takes the file
        assert handle.get_slice(B).get_dtype() == dtype
    for fmt in ("text", "sarif"):
        answer = cli("check", str(folder), "--format", fmt)
        line = assert_refused(answer, "adapter_model.safetensors", f"stored as {dtype}")
        assert "crashed" not in line, line


def test_fp8_adapter_is_still_checked(tmp_path: Path) -> None:
    folder = tmp_path / "adapter"
    write(folder / "adapter_config.json", json.dumps(ADAPTER_CONFIG))
    write_safetensors(folder / "adapter_model.safetensors", lambda key: "F8_E4M3")
    answer = cli("check", str(folder), "--format", "json")
    assert answer.rc == 0, (answer.rc, answer.err)
    json.loads(answer.out)
