"""The optimizer as a fact: its type, how many tensors it holds, and which of them are not the model's."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class OptimizerFacts:
    type_name: str
    #: tensors in its param groups
    tensors: int
    #: tensors in its param groups that are not parameters of this model
    foreign: int


def optimizer_ids(optimizer: Any) -> list[int] | None:
    groups = getattr(optimizer, "param_groups", None)
    if groups is None:
        return None
    return [id(p) for g in groups for p in g.get("params", ())]
