"""Activated LoRA (aLoRA): its adapter runs only after the invocation tokens, so a synthetic batch must hold them."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import Any

from lora_lint.probe.batch import ProbeBatch


def invocation_tokens(model: Any) -> tuple[int, ...]:
    """The invocation sequence of an aLoRA config on the model (peft >= 0.17's ``alora_invocation_tokens``)."""
    configs = getattr(model, "peft_config", None)
    if not isinstance(configs, Mapping):
        return ()
    for config in configs.values():
        tokens = getattr(config, "alora_invocation_tokens", None)
        if tokens:
            return tuple(int(t) for t in tokens)
    return ()


def with_invocation(inputs: ProbeBatch, tokens: tuple[int, ...]) -> ProbeBatch | None:
    """``inputs`` with the invocation tokens opening every row, or None when the batch cannot hold them."""
    ids = inputs.kwargs.get("input_ids")
    if ids is None or ids.dim() != 2 or ids.shape[1] <= len(tokens):
        return None
    ids = ids.clone()
    ids[:, : len(tokens)] = ids.new_tensor(tokens)
    kwargs = {**inputs.kwargs, "input_ids": ids}
    return dataclasses.replace(inputs, kwargs=kwargs, description=f"{inputs.description}, aLoRA invocation tokens first")
