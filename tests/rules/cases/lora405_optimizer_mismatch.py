"""LORA405 cases: an optimizer built from the base model before wrapping, against one built after."""

from __future__ import annotations

import torch

from tests.rules.runner import hint_says
from tests.tiny_models import llama, lora

CODE = "LORA405"


def bad(tmp_path):
    base = llama()
    optimizer = torch.optim.AdamW(base.parameters(), lr=1e-4)
    return {"model": lora(base), "optimizer": optimizer}


def good(tmp_path):
    model = lora(llama())
    optimizer = torch.optim.AdamW([p for p in model.parameters() if p.requires_grad], lr=1e-4)
    return {"model": model, "optimizer": optimizer}


def fixed(tmp_path, findings):
    hint_says(findings, "[p for p in model.parameters() if p.requires_grad]")
    model = lora(llama())
    return {"model": model, "optimizer": torch.optim.AdamW([p for p in model.parameters() if p.requires_grad], lr=1e-4)}
