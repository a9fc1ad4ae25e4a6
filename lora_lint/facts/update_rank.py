"""How large a LoRA update of one layer can be: its rank limit and sizes, convolution kernels counted."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class UpdateShape:
    """The weight update ``B @ A`` of one layer seen as a matrix: ``out`` rows, ``fan_in`` columns."""

    in_features: int
    out_features: int
    #: the kernel's number of taps (1 for Linear, Embedding and Conv1D)
    kernel: int = 1
    groups: int = 1

    @property
    def fan_in(self) -> int:
        """Columns of the update: peft's conv lora_A sees every input channel at every kernel tap."""
        return self.in_features * self.kernel

    @property
    def max_rank(self) -> int:
        return min(self.fan_in, self.out_features)

    def adapter_numbers(self, r: int) -> int:
        """Numbers in lora_A and lora_B at rank ``r`` (peft's conv lora_B is grouped like its base)."""
        return r * self.fan_in + (r // self.groups) * self.out_features

    @property
    def layer_numbers(self) -> int:
        return self.out_features * (self.in_features // self.groups) * self.kernel


def update_shape(module: Any, in_features: int | None, out_features: int | None) -> UpdateShape | None:
    if in_features is None or out_features is None:
        return None
    kernel_size = getattr(module, "kernel_size", None)
    kernel = math.prod(kernel_size) if isinstance(kernel_size, tuple) else 1
    groups = getattr(module, "groups", 1)
    return UpdateShape(in_features, out_features, kernel, groups if isinstance(groups, int) else 1)
