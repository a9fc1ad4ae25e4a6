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


def layer_sizes(module: Any) -> tuple[int | None, int | None]:
    """(in, out) of a layer LoRA can wrap, as peft sizes its adapter; (None, None) when unknown."""
    # peft internal: _get_in_out_features knows Linear, Conv1D, Embedding, Conv and bnb layers.
    try:
        from peft.tuners.tuners_utils import _get_in_out_features
    except ImportError:
        return _layer_sizes(module)
    try:
        i, o = _get_in_out_features(module)
    except Exception:  # e.g. a MultiheadAttention with separate key/value sizes, which peft refuses
        return None, None
    return i, o


def _layer_sizes(module: Any) -> tuple[int | None, int | None]:
    """The sizes peft 0.17 (which has no ``_get_in_out_features``) gives each layer type it wraps."""
    import torch.nn as nn

    if isinstance(module, (nn.Conv1d, nn.Conv2d, nn.Conv3d)):
        return module.in_channels, module.out_channels
    if isinstance(module, nn.Embedding):
        return module.num_embeddings, module.embedding_dim
    if isinstance(module, nn.MultiheadAttention):
        return module.embed_dim, 3 * module.embed_dim
    i, o = getattr(module, "in_features", None), getattr(module, "out_features", None)
    if i is None and o is None and isinstance(getattr(module, "nx", None), int):
        return module.nx, getattr(module, "nf", None)  # transformers' Conv1D: nx (in) and nf (out)
    return i, o
