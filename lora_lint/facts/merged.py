"""Merged vs base, layer by layer: is anything merged, and is ``W_merged - W_base`` the adapter's ``scale · B·A``.

Both checkpoints are read one block of rows at a time (``TensorFile.blocks``, as the adapter scan does),
the two blocks side by side, so memory holds two blocks and the adapter's small factors, never a model.
Per layer the scan keeps four sums, from which everything follows:

- ``||Δ||²``, ``||E||²``, ``<Δ, E>`` and ``||Δ - E||²`` (``Δ = W_merged - W_base``, ``E = scale · B·A``);
- relative error ``||Δ - E|| / ||E||``; the best ratio ``c = <Δ,E>/||E||²`` and how well ``c·E`` fits
  (a constant ``c != 1`` is another alpha);
- whether ``W_merged`` or ``W_merged - E`` takes at most 16 values per block of 64 (bitsandbytes' 4-bit
  block size and code count): the merge went through a 4-bit base (see :mod:`lora_lint.facts.quant_shape`).

Tolerance: storage rounding of the checkpoint's dtype (unit roundoff ``u``: 2⁻²⁴ float32, 2⁻¹¹ float16,
2⁻⁸ bfloat16) is at most ``u·|W|`` per element, so ``||Δ - E|| <= 2·u·||W_merged||`` for a correct merge
(merged and expected both rounded once); a floor of 1% of ``||E||`` covers merges computed in lower precision.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from lora_lint.facts.peft_keys import parse_key
from lora_lint.facts.quant_shape import GridCount
from lora_lint.facts.work_buffers import WorkBuffers

if TYPE_CHECKING:
    from lora_lint.sources.adapter_files import SavedAdapter
    from lora_lint.sources.merged_files import Checkpoint, MergedCheckpoints

#: unit roundoff of each stored float dtype (safetensors names)
UNIT_ROUNDOFF = {"F64": 2.0**-53, "F32": 2.0**-24, "F16": 2.0**-11, "BF16": 2.0**-8}
#: the smallest relative error reported, whatever the dtype
ERROR_FLOOR = 0.01


@dataclass(frozen=True)
class LayerDelta:
    """One weight compared: equal to the base, and against the adapter's update when there is one."""

    module: str
    key: str
    dtype: str
    equal: bool
    delta_norm: float
    base_norm: float
    #: None without an adapter, or where the adapter's update cannot be restated (DoRA)
    expected_norm: float | None = None
    error_norm: float | None = None
    tolerance: float | None = None
    ratio: float | None = None
    #: relative residual of the best ``ratio · E`` fit
    ratio_fit: float | None = None
    #: W_merged, or W_merged - E, sits on a 4-bit grid (at most 16 values per block of 64)
    quantized: bool = False
    dora: bool = False
    scale: float | None = None

    @property
    def relative_error(self) -> float | None:
        if self.error_norm is None or not self.expected_norm:
            return None
        return self.error_norm / self.expected_norm

    @property
    def mismatch(self) -> bool:
        rel = self.relative_error
        return rel is not None and self.tolerance is not None and rel > self.tolerance


@dataclass(frozen=True)
class MergedFacts:
    """Every compared layer of one merged checkpoint; ``with_adapter`` when an adapter was given."""

    layers: tuple[LayerDelta, ...]
    with_adapter: bool
    merged_folder: str
    base_folder: str
    adapter_folder: str | None
    #: the adapter's config as saved (alpha, r, fan_in_fan_out, use_dora, modules_to_save)
    adapter_config: dict[str, Any]

    @property
    def unchanged(self) -> bool:
        """Every compared layer equals the base's."""
        return bool(self.layers) and all(layer.equal for layer in self.layers)

    def mismatches(self) -> tuple[LayerDelta, ...]:
        return tuple(layer for layer in self.layers if layer.mismatch)

    def dora_layers(self) -> tuple[LayerDelta, ...]:
        return tuple(layer for layer in self.layers if layer.dora)


@dataclass(frozen=True)
class _Update:
    """The adapter's factors for one module, read whole (r x in and out x r: small)."""

    module: str
    a: Any
    b: Any
    scale: float
    #: the stored weight is (in, out): Conv1D (fan_in_fan_out) or an embedding's (num_embeddings, dim)
    transposed: bool


def collect_merged(pair: MergedCheckpoints) -> MergedFacts:
    config = dict(pair.adapter.config) if pair.adapter is not None else {}
    layers: list[LayerDelta] = []
    if pair.adapter is None:
        for key in _compared_keys(pair.merged, pair.base):
            layers.append(_compare(pair, key.removesuffix(".weight"), key, None, dora=False))
    else:
        dora = bool(config.get("use_dora"))
        for update in _updates(pair.adapter):
            found = _weight_key(pair.merged, update.module)
            if found is None or found not in pair.base.files:
                continue
            layers.append(_compare(pair, update.module, found, None if dora else update, dora=dora))
    return MergedFacts(
        tuple(layers),
        pair.adapter is not None,
        str(pair.merged.folder),
        str(pair.base.folder),
        str(pair.adapter.folder) if pair.adapter is not None else None,
        config,
    )


def _compared_keys(merged: Checkpoint, base: Checkpoint) -> Iterator[str]:
    """Without an adapter: every 2-D float weight both hold (what a merge can change)."""
    for key, shape in merged.shapes.items():
        if key.endswith(".weight") and len(shape) == 2 and key in base.shapes and merged.dtypes[key] in UNIT_ROUNDOFF:
            yield key


def _weight_key(merged: Checkpoint, module: str) -> str | None:
    key = f"{module}.weight"
    if key in merged.files:
        return key
    ends = [k for k in merged.files if k.endswith("." + key)]
    return ends[0] if len(ends) == 1 else None


def _updates(adapter: SavedAdapter) -> Iterator[_Update]:
    import numpy as np

    from lora_lint.facts.artifacts import artifact_of
    from lora_lint.facts.tensors import TensorFile

    artifact = artifact_of(adapter)
    fan_in_fan_out = bool(adapter.config.get("fan_in_fan_out"))
    assert adapter.weights is not None
    with TensorFile(adapter.weights) as tf:
        for layer in artifact.layers:
            if layer.a is None or layer.b is None or len(layer.a.shape) != 2 or len(layer.b.shape) != 2:
                continue
            if 0 in (*layer.a.shape, *layer.b.shape):  # an empty factor has no update (LORA604)
                continue
            a = np.concatenate([blk.astype(np.float32) for blk in tf.blocks(layer.a.saved.key)])
            b = np.concatenate([blk.astype(np.float32) for blk in tf.blocks(layer.b.saved.key)])
            embedding = parse_key(layer.a.saved.key).part == "lora_embedding_A"
            yield _Update(layer.module, a, b, layer.scale, transposed=fan_in_fan_out or embedding)


def _compare(pair: MergedCheckpoints, module: str, key: str, update: _Update | None, *, dora: bool) -> LayerDelta:
    """One pass over both copies of ``key``: the sums above, and the 4-bit grid test on the first blocks.

    Blocks are float32 (float16/bfloat16 widened exactly), so ``Δ`` is exact and ``Δ == 0`` is equality;
    the sums are BLAS dot products, ``||E||²`` comes from the r x r Gram matrices of A and B.
    """
    import numpy as np

    from lora_lint.facts.tensors import TensorFile

    dtype = pair.merged.dtypes[key]
    dd, ee, de, rr, mm, bb = 0.0, 0.0, 0.0, 0.0, 0.0, 0.0
    grid_merged, grid_implied = GridCount(), GridCount()
    gram_a = gram_b = None
    if update is not None:
        a64, b64 = update.a.astype(np.float64), update.b.astype(np.float64)
        gram_a, gram_b = a64 @ a64.T, b64.T @ b64
    row = 0
    work = WorkBuffers()
    scaled_a = None if update is None else np.float32(update.scale) * update.a  # on the small factor
    with TensorFile(pair.merged.files[key]) as mf, TensorFile(pair.base.files[key]) as bf:
        # blocks land in one buffer per file and the arithmetic in reused ones: no fresh memory per block
        for m_block, b_block in zip(mf.blocks(key, reuse=True), bf.blocks(key, reuse=True)):
            m32, b32 = np.asarray(m_block, dtype=np.float32), np.asarray(b_block, dtype=np.float32)
            delta = np.subtract(m32, b32, out=work.take("delta", m32.shape)).reshape(-1)
            dd += float(np.dot(delta, delta))
            flat_m = m32.reshape(-1)
            mm += float(np.dot(flat_m, flat_m))
            if update is None:
                flat_b = b32.reshape(-1)
                bb += float(np.dot(flat_b, flat_b))
            else:
                stop = row + len(m_block)
                expected = _expected_rows(update, scaled_a, row, stop, work.take("expected", m32.shape))
                resid = np.subtract(delta, expected.reshape(-1), out=work.take("resid", (delta.size,)))
                rr += float(np.dot(resid, resid))
                de += float(np.dot(delta, expected.reshape(-1)))
                ee += _expected_sq(update, gram_a, gram_b, row, stop)
                sample = grid_merged.rows_wanted(m32.shape[1])
                if sample:
                    grid_merged.add(m32[:sample])
                    grid_implied.add(m32[:sample] - expected[:sample])
            row += len(m_block)
    equal = dd == 0.0
    if update is None:
        return LayerDelta(module, key, dtype, equal, math.sqrt(dd), math.sqrt(bb), dora=dora)
    e_norm = math.sqrt(ee)
    u = UNIT_ROUNDOFF.get(dtype, 2.0**-8)
    tolerance = max(ERROR_FLOOR, 2 * u * math.sqrt(mm) / e_norm) if e_norm else None
    ratio = de / ee if ee else None
    fit = None
    if ratio is not None and ratio:
        fit = math.sqrt(max(dd - 2 * ratio * de + ratio * ratio * ee, 0.0)) / (abs(ratio) * e_norm)
    return LayerDelta(
        module, key, dtype, equal, math.sqrt(dd), math.sqrt(max(mm, 0.0)), e_norm, math.sqrt(rr), tolerance, ratio,
        fit, quantized=grid_merged.on_grid or grid_implied.on_grid, scale=update.scale,
    )


def _expected_sq(update: _Update, gram_a: Any, gram_b: Any, start: int, stop: int) -> float:
    """||rows start:stop of scale·B·A||² from r x r Gram matrices: trace(BᵀB · AAᵀ) over those rows."""
    import numpy as np

    if update.transposed:
        part = update.a[:, start:stop].astype(np.float64)
        return float(update.scale**2 * np.sum((part @ part.T) * gram_b))
    rows = update.b[start:stop].astype(np.float64)
    return float(update.scale**2 * np.sum((rows.T @ rows) * gram_a))


def _expected_rows(update: _Update, scaled_a: Any, start: int, stop: int, out: Any) -> Any:
    """Rows ``start:stop`` of ``scale · B·A`` as the stored weight lays it out, written into ``out``."""
    import numpy as np

    if update.transposed:
        return np.matmul(scaled_a[:, start:stop].T, update.b.T, out=out)
    return np.matmul(update.b[start:stop], scaled_a, out=out)

