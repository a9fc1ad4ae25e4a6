"""Recover the base model and LoRA config from peft's "target modules not found" error, to lint them.

peft raises only when *no* ``target_modules`` entry matches; the user then gets a bare ValueError.
When a factory raises it, the base model and the config peft was handed are still alive in the
traceback: the outermost frame inside peft (``get_peft_model``, ``PeftModel.__init__`` or
``inject_adapter_in_model``) holds them as its ``model`` and ``peft_config`` arguments. Reading the
frames is exact and needs no second run of the user's code (which could be slow or have side effects).
"""

from __future__ import annotations

import dataclasses
import os
import re
import traceback
from types import TracebackType
from typing import Any

from collections.abc import Mapping

from lora_lint.context import PeftRefusal, Setup
from lora_lint.errors import SetupLoadError
from lora_lint.findings import Location, Note
from lora_lint.text import one_line

#: peft's message when no entry matched (``NoMatchingPeftModuleError`` in peft >= 0.17, ValueError before)
_NO_MATCH_RE = re.compile(r"Target modules .* not found in the base model", re.DOTALL)
#: peft's message when the config names nothing at all to adapt (``target_modules: []``)
_NONE_GIVEN_RE = re.compile(r"No `target_modules` passed but also no `target_parameters` found")


class NoMatchError(Exception):
    """Carries peft's original "not found" error out of the user's code."""

    def __init__(self, original: BaseException) -> None:
        super().__init__(str(original))
        self.original = original


def is_no_match(exc: BaseException) -> bool:
    """peft's "target modules ... not found in the base model", under either of its exception types."""
    return isinstance(exc, ValueError) and bool(_NO_MATCH_RE.search(str(exc)))


def is_nothing_targeted(exc: BaseException) -> bool:
    """Any of peft's "no module was targeted" errors (none matched, all excluded, mixed, none given)."""
    return is_no_match(exc) or type(exc).__name__ == "NoMatchingPeftModuleError" or bool(_NONE_GIVEN_RE.search(str(exc)))


def refusal_of(exc: BaseException, kwargs: Mapping[str, Any]) -> PeftRefusal:
    """peft's refusal as a typed fact: its words, and the LoraConfig field they are about."""
    message = one_line(exc)
    nothing = is_nothing_targeted(exc)
    field: str | None = None
    if nothing:
        field = "target_parameters" if kwargs.get("target_parameters") and not kwargs.get("target_modules") else "target_modules"
    elif "lora_dropout" in message:
        field = "lora_dropout"
    elif isinstance(exc, TypeError) and "NoneType" in message:  # r=None or lora_alpha=None reached peft's layers
        field = next((f for f in ("r", "lora_alpha") if f in kwargs and kwargs[f] is None), None)
    else:
        field = next((f for f in ("use_dora", "init_lora_weights", "target_parameters") if f in message), None)
    return PeftRefusal(error=type(exc).__name__, message=message, field=field, nothing_targeted=nothing)


def _peft_frames(tb: TracebackType | None) -> list[Any]:
    import peft

    root = os.path.dirname(os.path.abspath(peft.__file__)) + os.sep
    return [frame for frame, _ in traceback.walk_tb(tb) if os.path.abspath(frame.f_code.co_filename).startswith(root)]


def find_base_and_config(tb: TracebackType | None) -> tuple[Any, Any, str] | None:
    """(base model, LoraConfig, adapter name) from the outermost peft frame that holds both."""
    from peft import LoraConfig
    from torch import nn

    for frame in _peft_frames(tb):
        local = frame.f_locals
        model = local.get("model")
        config = next(
            (local[k] for k in ("peft_config", "config", "lora_config") if isinstance(local.get(k), LoraConfig)), None
        )
        if isinstance(model, nn.Module) and config is not None:
            name = local.get("adapter_name")
            return model, config, name if isinstance(name, str) else "default"
    return None


def config_kwargs(config: Any) -> dict[str, Any]:
    """The LoraConfig's fields that differ from the defaults: what the user most likely wrote."""
    from peft import LoraConfig

    defaults = LoraConfig()
    kwargs: dict[str, Any] = {}
    for f in dataclasses.fields(config):
        if f.name in ("peft_type", "base_model_name_or_path", "revision") or not f.init:
            continue
        value = getattr(config, f.name)
        if value == getattr(defaults, f.name, object()):
            continue
        kwargs[f.name] = sorted(value) if isinstance(value, (set, frozenset)) else value
    return kwargs


def recover_from_no_match(target: str, err: NoMatchError, origin: Location) -> Setup:
    """A setup of the base model and the config peft rejected, or a clear error naming the factory."""
    original = err.original
    message = one_line(original)
    found = find_base_and_config(original.__traceback__)
    if found is None:
        raise SetupLoadError(
            target,
            f"the factory raised {type(original).__name__}: {message} (lora-lint could not find the base model "
            "that peft was given, so it cannot suggest the right names)",
        )
    model, config, adapter = found
    weights = not any(p.is_meta for p in model.parameters())
    note = Note(
        f"the factory raised peft's {type(original).__name__} (no target_modules entry matched); linted the "
        "base model and the LoRA config it was given instead",
        target,
    )
    kwargs = config_kwargs(config)
    return Setup(
        target=target,
        base_model=model,
        lora_configs={adapter: kwargs},
        weights=weights,
        origin=origin,
        notes=[note],
        peft_refusal=refusal_of(original, kwargs),
    )
