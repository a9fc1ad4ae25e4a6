"""What a run's latest checkpoint lost against the one before: lora_B back at zero, or zero shard-sized row blocks.

Values are read one block of rows at a time (``TensorFile.blocks``); only a per-row "all zero" flag of
each ``lora_B`` is kept, so a checkpoint of any size is compared in bounded memory.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from lora_lint.context import Setup
    from lora_lint.facts.artifacts import AdapterArtifact

#: world sizes tried when looking for zero row blocks at shard boundaries (smallest that explains them wins)
SHARD_COUNTS: tuple[int, ...] = (2, 3, 4, 6, 8, 16)


@dataclass(frozen=True)
class ZeroedLayer:
    """A layer whose saved ``lora_B`` is all zero now and was not in the checkpoint before."""

    adapter: str
    module: str
    key: str
    file: str


@dataclass(frozen=True)
class ShardGap:
    """A ``lora_B`` whose zero rows are exactly whole blocks of ``rows / world_size`` (one rank's part kept)."""

    adapter: str
    module: str
    key: str
    file: str
    rows: int
    world_size: int
    #: indices of the zero blocks (rank numbers of the shards that were lost)
    zero_blocks: tuple[int, ...]


@dataclass(frozen=True)
class RegressionFacts:
    """The latest checkpoint of a setup against the one before it (``earlier`` None when it is the first)."""

    stage: str | None = None
    earlier: str | None = None
    zeroed: tuple[ZeroedLayer, ...] = ()
    shard_gaps: tuple[ShardGap, ...] = ()


def zero_rows(adapter: AdapterArtifact) -> dict[str, tuple[bool, ...]]:
    """Per ``lora_B`` key (2-D, non-empty): whether each output row is all zero, read block by block."""
    import numpy as np

    from lora_lint.facts.tensors import TensorFile

    out: dict[str, tuple[bool, ...]] = {}
    if adapter.weights is None:
        return out
    with TensorFile(adapter.weights) as tf:
        for t in adapter.factors():
            if t.saved.role != "B" or len(t.shape) != 2 or not t.numel:
                continue
            flags: list[bool] = []
            for block in tf.blocks(t.saved.key, axis=0):
                flags.extend(bool(v) for v in ~np.any(block != 0, axis=1))
            out[t.saved.key] = tuple(flags)
    return out


def shard_split(rows: tuple[bool, ...]) -> tuple[int, tuple[int, ...]] | None:
    """The smallest world size whose equal row blocks are each all zero or all kept, with some of each."""
    if all(rows) or not any(rows):
        return None
    n = len(rows)
    for world in SHARD_COUNTS:
        if world > n or n % world:
            continue
        size = n // world
        blocks = [rows[i * size : (i + 1) * size] for i in range(world)]
        zero = tuple(i for i, b in enumerate(blocks) if all(b))
        if zero and all(not any(b) for i, b in enumerate(blocks) if i not in zero):
            return world, zero
    return None


def _artifacts(folder: Path) -> dict[str, AdapterArtifact]:
    from lora_lint.facts.artifacts import artifact_of
    from lora_lint.sources.adapter_files import load_adapters

    return {name: artifact_of(saved) for name, saved in load_adapters(folder).items()}


def _paired(
    old: Mapping[str, AdapterArtifact], new: Mapping[str, AdapterArtifact]
) -> Iterator[tuple[AdapterArtifact | None, AdapterArtifact]]:
    """Adapters matched by name; one on each side is matched whatever its folder is called."""
    if len(old) == 1 and len(new) == 1:
        yield next(iter(old.values())), next(iter(new.values()))
        return
    for name, adapter in new.items():
        yield old.get(name), adapter


def collect_regression(setup: Setup) -> RegressionFacts:
    """Compare the setup's latest checkpoint with the one before (zeroed layers) and scan it for shard gaps."""
    if not setup.checkpoints:
        return RegressionFacts()
    latest = setup.checkpoints[-1]
    before = setup.checkpoints[-2] if len(setup.checkpoints) > 1 else None
    new = _artifacts(latest)
    old = _artifacts(before) if before is not None else {}
    zeroed: list[ZeroedLayer] = []
    gaps: list[ShardGap] = []
    for earlier, adapter in _paired(old, new):
        rows_now = zero_rows(adapter)
        rows_then = zero_rows(earlier) if earlier is not None else {}
        modules = {t.saved.key: t.saved.module for t in adapter.factors()}
        for key, flags in rows_now.items():
            then = rows_then.get(key)
            if all(flags) and then is not None and not all(then):
                zeroed.append(ZeroedLayer(adapter.name, modules[key], key, adapter.file))
                continue
            split = shard_split(flags)
            if split is not None:
                gaps.append(ShardGap(adapter.name, modules[key], key, adapter.file, len(flags), *split))
    return RegressionFacts(latest.name, before.name if before else None, tuple(zeroed), tuple(gaps))
