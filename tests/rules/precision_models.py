"""Small real setups that peft supports and lora-lint once misjudged: the models the precision tests share."""

from __future__ import annotations

from typing import Any

import torch
import torch.nn as nn

from tests.tiny_models import _seeded


class Attention(nn.Module):
    """``nn.MultiheadAttention`` then a head: the module peft wraps with its MultiheadAttention LoRA layer."""

    def __init__(self) -> None:
        super().__init__()
        self.mha = nn.MultiheadAttention(16, 2, batch_first=True)
        self.head = nn.Linear(16, 4)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.mha(x, x, x, need_weights=False)[0]).sum(dim=1)


def attention() -> Attention:
    _seeded()
    return Attention().eval()


def attention_batch() -> torch.Tensor:
    return torch.randn(2, 5, 16, generator=torch.Generator().manual_seed(0))
