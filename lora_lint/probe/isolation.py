"""Keep the probe invisible: modes, dropout, RNG, grad mode, existing ``.grad`` and every config field put back.

A forward can write to the model's configs: a transformers sequence classifier sets ``config.problem_type``
on its first loss, which would decide every later loss and be saved with the model.
"""

from __future__ import annotations

import contextlib
import copy
import warnings
from collections.abc import Iterator
from typing import Any

from lora_lint.probe.batch import SEED


@contextlib.contextmanager
def untouched(model: Any, device: Any) -> Iterator[None]:
    """Train mode with dropout at zero and a fixed seed; everything restored afterwards.

    Train mode because transformers only checkpoints activations in training, which decides whether
    a reentrant setup loses its gradient; dropout at zero so the result does not depend on chance.
    """
    import torch
    from torch.nn.modules.batchnorm import _BatchNorm
    from torch.nn.modules.dropout import _DropoutNd

    modules = list(model.modules())
    modes = [(m, m.training) for m in modules]
    dropouts = [(m, m.p) for m in modules if isinstance(m, _DropoutNd)]
    grads = [(p, p.grad) for p in model.parameters() if p.requires_grad]
    configs = _config_fields(modules)
    cuda = [device.index if device.index is not None else torch.cuda.current_device()] if device.type == "cuda" else []
    with contextlib.ExitStack() as stack:
        stack.enter_context(torch.random.fork_rng(devices=cuda))
        stack.enter_context(warnings.catch_warnings())
        warnings.simplefilter("ignore")
        stack.enter_context(torch.inference_mode(False))
        stack.enter_context(torch.enable_grad())
        try:
            torch.default_generator.manual_seed(SEED)  # torch.manual_seed would reseed every GPU
            for index in cuda:
                torch.cuda.default_generators[index].manual_seed(SEED)
            for m in modules:
                # BatchNorm uses its running statistics: in training it would update them
                m.training = not isinstance(m, _BatchNorm)
            for m, _ in dropouts:
                m.p = 0.0
            for p, _ in grads:
                p.grad = None
            yield
        finally:
            for config, fields in configs:
                vars(config).clear()
                vars(config).update(fields)
            for p, grad in grads:
                p.grad = grad
            for m, rate in dropouts:
                m.p = rate
            for m, mode in modes:
                m.training = mode


#: attributes of modules that hold configuration objects a forward may write to
_CONFIG_ATTRIBUTES = ("config", "generation_config", "peft_config")


_CONFIG_BASES = frozenset({"pretrainedconfig", "peftconfigmixin", "generationconfig"})


def _config_fields(modules: list[Any]) -> list[tuple[Any, dict[str, Any]]]:
    """Every config object of the model (and the configs nested in them) with a copy of its fields."""
    found: dict[int, tuple[Any, dict[str, Any]]] = {}
    pending: list[Any] = []
    for m in modules:
        for attr in _CONFIG_ATTRIBUTES:
            value = vars(m).get(attr)
            values = value.values() if isinstance(value, dict) else (value,)  # peft_config: name -> LoraConfig
            pending.extend(v for v in values if _is_config(v))
    while pending and len(found) < 1000:
        config = pending.pop()
        if id(config) in found:
            continue
        fields = {k: _copied(v) for k, v in vars(config).items()}
        found[id(config)] = (config, fields)
        pending.extend(v for v in vars(config).values() if _is_config(v))
    return list(found.values())


def _is_config(value: Any) -> bool:
    if isinstance(value, type) or not hasattr(value, "__dict__"):
        return False
    # by name: transformers 5 spells it PreTrainedConfig, 4.x PretrainedConfig; no import of either library
    return any(c.__name__.lower() in _CONFIG_BASES for c in type(value).__mro__)


def _copied(value: Any) -> Any:
    """Lists, dicts and sets copied deeply (a forward could append to one); config objects kept as they are."""
    if isinstance(value, (list, dict, set)):
        try:
            return copy.deepcopy(value)
        except Exception:  # an uncopyable entry: restore the container itself at least
            return value
    return value
