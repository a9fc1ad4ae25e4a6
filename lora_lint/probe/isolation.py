"""Keep the probe invisible: modes, dropout, RNG, grad mode and existing ``.grad`` put back afterwards."""

from __future__ import annotations

import contextlib
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
            for p, grad in grads:
                p.grad = grad
            for m, rate in dropouts:
                m.p = rate
            for m, mode in modes:
                m.training = mode
