"""Activated LoRA (aLoRA): its adapter runs only after the invocation tokens, so a synthetic batch must hold them."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import Any

from lora_lint.probe.batch import ProbeBatch


def invocations(model: Any) -> dict[str, tuple[int, ...]]:
    """Each aLoRA adapter's invocation sequence (peft >= 0.18's ``alora_invocation_tokens``), by adapter name."""
    configs = getattr(model, "peft_config", None)
    if not isinstance(configs, Mapping):
        return {}
    found = {}
    for name, config in configs.items():
        tokens = getattr(config, "alora_invocation_tokens", None)
        if tokens:
            found[str(name)] = tuple(int(t) for t in tokens)
    return found


def invocation_tokens(model: Any) -> tuple[int, ...]:
    """The invocation sequence a synthetic batch opens with: the first aLoRA adapter's."""
    return next(iter(invocations(model).values()), ())


def uninvoked(inputs: ProbeBatch, sequences: Mapping[str, tuple[int, ...]]) -> frozenset[str]:
    """The aLoRA adapters whose invocation sequence no row of the batch's ``input_ids`` holds."""
    ids = inputs.kwargs.get("input_ids")
    if ids is None or not hasattr(ids, "dim") or ids.dim() != 2:  # not a tensor of token-id rows: nothing to look for
        return frozenset()
    rows: list[list[int]] = ids.tolist()
    return frozenset(a for a, seq in sequences.items() if not any(_holds(row, list(seq)) for row in rows))


def _holds(row: list[int], sequence: list[int]) -> bool:
    n = len(sequence)
    return any(row[i : i + n] == sequence for i in range(len(row) - n + 1))


def with_invocation(inputs: ProbeBatch, tokens: tuple[int, ...]) -> ProbeBatch | None:
    """``inputs`` with the invocation tokens opening every row, or None when the batch cannot hold them."""
    ids = inputs.kwargs.get("input_ids")
    if ids is None or ids.dim() != 2 or ids.shape[1] <= len(tokens):
        return None
    ids = ids.clone()
    ids[:, : len(tokens)] = ids.new_tensor(tokens)
    kwargs = {**inputs.kwargs, "input_ids": ids}
    return dataclasses.replace(inputs, kwargs=kwargs, description=f"{inputs.description}, aLoRA invocation tokens first")
