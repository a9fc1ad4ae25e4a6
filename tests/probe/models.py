"""Custom modules with real gradient-flow mistakes in their forward, for the probe tests."""

from __future__ import annotations

from typing import Any

import torch
from torch import nn

from tests.tiny_models import MLP, SEED


class SkipsLayer(MLP):
    """The MLP with an extra projection that is built, targeted, and never called."""

    def __init__(self) -> None:
        super().__init__()
        self.proj = nn.Linear(32, 32)


class NoGradStem(MLP):
    """The first layer runs under ``torch.no_grad()`` (a frozen-feature-extractor habit)."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        with torch.no_grad():
            h = self.relu(self.lin0(x))
        return self.lin2(self.relu(self.lin1(h)))


class DetachedStem(MLP):
    """The first layer's output is detached before the rest of the network uses it."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = self.relu(self.lin0(x)).detach()
        return self.lin2(self.relu(self.lin1(h)))


class DetachedOutput(MLP):
    """Everything runs with gradients, but the output is detached: the loss depends on nothing trainable."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return super().forward(x).detach()


class TrainsWithoutAdapter(nn.Module):
    """A training wrapper whose forward switches the LoRA adapter off (a reused evaluation helper)."""

    def __init__(self, peft_model: Any) -> None:
        super().__init__()
        self.peft = peft_model

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        with self.peft.disable_adapter():
            return self.peft(x)


def build(cls: type[nn.Module], targets: list[str] | None = None, **kwargs: Any) -> Any:
    """``cls`` wrapped by ``get_peft_model`` (no task type, the custom-module route)."""
    from peft import LoraConfig, get_peft_model

    torch.manual_seed(SEED)
    model = cls().eval()
    config = LoraConfig(r=4, lora_alpha=8, target_modules=targets or ["lin0", "lin1"], **kwargs)
    return get_peft_model(model, config)


def mlp_batch() -> torch.Tensor:
    return torch.randn(4, 16, generator=torch.Generator().manual_seed(SEED))
