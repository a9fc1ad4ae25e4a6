"""Read a saved adapter's values one block at a time: flags, norms and ||B·A||, and the base layers' ||W||."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

from lora_lint.facts.artifacts import AdapterArtifact, ScanResult, TensorValues


def scan_values(adapter: AdapterArtifact) -> ScanResult:
    """One pass over an adapter's saved tensors: zero/NaN/Inf flags, squared norms, and ||B·A|| per layer."""
    import numpy as np

    from lora_lint.facts.tensors import TensorFile

    values: dict[str, TensorValues] = {}
    grams: dict[str, Any] = {}
    if adapter.weights is None:
        return ScanResult(values, {})
    with TensorFile(adapter.weights) as tf:
        for t in adapter.tensors:
            zero, nan, inf, sq = True, 0, 0, 0.0
            role = t.saved.role if t.saved.is_factor and len(t.shape) >= 2 and t.numel else None
            gram = None
            for block in tf.blocks(t.saved.key, axis=1 if role == "A" else 0):
                if block.dtype.kind == "f":
                    finite = np.isfinite(block)
                    if not finite.all():
                        nan += int(np.isnan(block).sum())
                        inf += int(np.isinf(block).sum())
                        block = np.where(finite, block, 0)
                    sq += float(np.einsum("ij,ij->", block, block, dtype=np.float64))
                zero = zero and not np.any(block) and not (nan or inf)
                if role is not None:
                    gram = _gram_add(gram, block, role)
            values[t.saved.key] = TensorValues(zero, nan, inf, sq)
            if gram is not None:
                grams[f"{t.saved.module}|{role}"] = gram
    norms: dict[str, float] = {}
    for layer in adapter.layers:
        ga, gb = grams.get(f"{layer.module}|A"), grams.get(f"{layer.module}|B")
        if ga is not None and gb is not None and ga.shape == gb.shape:
            # ||B·A||_F^2 = trace(Bᵀ B · A Aᵀ): r x r matrices only, never the out x in product.
            norms[layer.module] = math.sqrt(max(float(np.sum(gb * ga)), 0.0))
    return ScanResult(values, norms)


def _gram_add(gram: Any, block: Any, role: str) -> Any:
    """Accumulate A·Aᵀ over column blocks of A (r x features) or Bᵀ·B over row blocks of B (out x r)."""
    part = block @ block.T if role == "A" else block.T @ block
    part = part.astype("float64")
    return part if gram is None else gram + part


def base_layer_norms(model_dir: Path | None, modules: list[str]) -> dict[str, float]:
    """||W||_F of base layers read from the model folder's safetensors (one tensor at a time), when present."""
    if model_dir is None:
        return {}
    from lora_lint.facts.tensors import TensorFile
    from lora_lint.sources.adapter_files import read_json

    folder = Path(model_dir)
    files: dict[str, Path] = {}
    single = folder / "model.safetensors"
    index = folder / "model.safetensors.index.json"
    if single.is_file():
        with TensorFile(single) as tf:
            files = {k: single for k in tf.keys()}
    elif index.is_file():
        weight_map = read_json(index, "model.safetensors.index.json").get("weight_map", {})
        files = {k: folder / v for k, v in weight_map.items()}
    norms: dict[str, float] = {}
    import numpy as np

    for module in modules:
        key = f"{module}.weight"
        if key not in files:
            continue
        with TensorFile(files[key]) as tf:
            if not tf.values_readable(key):  # an F4 or MX-scaled base layer: its norm is unknown, not an error
                continue
            total = sum(float(np.einsum("ij,ij->", b, b, dtype=np.float64)) for b in tf.blocks(key))
        norms[module] = math.sqrt(total)
    return norms
