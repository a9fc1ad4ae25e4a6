"""Work arrays reused across the blocks of a scan, so that a block's arithmetic touches no fresh memory."""

from __future__ import annotations

import math
from typing import Any


class WorkBuffers:
    """float32 work arrays kept across the blocks of one weight (the first block is the largest)."""

    def __init__(self) -> None:
        self._flat: dict[str, Any] = {}

    def take(self, name: str, shape: tuple[int, ...]) -> Any:
        import numpy as np

        size = math.prod(shape)
        flat = self._flat.get(name)
        if flat is None or flat.size < size:
            flat = self._flat[name] = np.empty(size, dtype=np.float32)
        return flat[:size].reshape(shape)
