"""Does a weight sit on a 4-bit grid: at most 16 values in each block of 64, as bitsandbytes' NF4/FP4 store it.

bitsandbytes quantises a weight in blocks of 64 consecutive values (its default ``blocksize``), each block
as one of 16 codes times the block's absmax. A weight dequantised from 4-bit therefore takes at most 16
distinct values per block; a trained 16-bit weight takes ~64. Values are clustered after scaling by the
block's absmax, so the rounding of a float32/float16 copy does not split a code into two.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

BLOCK = 64
CODES = 16
#: two values closer than this (relative to the block's absmax) are one code; NF4's codes are >= 0.08 apart
SAME_CODE = 0.01
#: the share of blocks that must sit on the grid
ON_GRID_SHARE = 0.9
#: blocks looked at per weight: a quantized weight is quantized everywhere, so its first rows decide
SAMPLE_BLOCKS = 512


@dataclass
class GridCount:
    """Blocks seen and blocks on a 4-bit grid, accumulated over a weight's row blocks."""

    blocks: int = 0
    on: int = 0

    def add(self, rows: Any) -> None:
        import numpy as np

        flat = np.asarray(rows, dtype=np.float64).reshape(-1)
        usable = (flat.size // BLOCK) * BLOCK
        if not usable:
            return
        chunks = flat[:usable].reshape(-1, BLOCK)
        absmax = np.abs(chunks).max(axis=1, keepdims=True)
        keep = absmax[:, 0] > 0
        if not keep.any():
            return
        scaled = np.sort(chunks[keep] / absmax[keep], axis=1)
        clusters = 1 + (np.diff(scaled, axis=1) > SAME_CODE).sum(axis=1)
        self.blocks += int(keep.sum())
        self.on += int((clusters <= CODES).sum())

    def rows_wanted(self, columns: int) -> int:
        """How many more rows of ``columns`` values the sample still takes (0 once it is full)."""
        missing = max(SAMPLE_BLOCKS - self.blocks, 0) * BLOCK
        return -(-missing // max(columns, 1))

    @property
    def on_grid(self) -> bool:
        return self.blocks > 0 and self.on >= ON_GRID_SHARE * self.blocks
