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


class Convs(nn.Module):
    """A 3x3 convolution whose kernel lifts the rank limit, and a 1x1 one where it does not."""

    def __init__(self) -> None:
        super().__init__()
        self.wide = nn.Conv2d(5, 10, 3, padding=1)
        self.point = nn.Conv2d(10, 3, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.point(torch.relu(self.wide(x))).mean(dim=(2, 3))


def convs() -> Convs:
    _seeded()
    return Convs().eval()


def convs_batch() -> torch.Tensor:
    return torch.randn(2, 5, 6, 6, generator=torch.Generator().manual_seed(0))


def resnet() -> Any:
    """A tiny transformers ResNet classifier: a BatchNorm named ``normalization`` after every convolution."""
    from transformers import ResNetConfig, ResNetForImageClassification

    _seeded()
    config = ResNetConfig(embedding_size=16, hidden_sizes=[32, 64], depths=[1, 1], num_labels=3, image_size=32)
    return ResNetForImageClassification(config).eval()
