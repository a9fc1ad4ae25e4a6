"""The live objects a trainer hands its callbacks, seen without disturbing the run: the model under
its compile/DDP wrappers, and the first batch its data loader will yield."""

from __future__ import annotations

import contextlib
import random
from collections.abc import Iterator
from typing import Any


def unwrap_model(model: Any) -> Any:
    """The module holding the parameters under ``torch.compile`` (``_orig_mod``) and DDP (``module``)."""
    for _ in range(4):
        if hasattr(model, "_orig_mod"):
            model = model._orig_mod
        elif type(model).__name__ in ("DistributedDataParallel", "DataParallel") and hasattr(model, "module"):
            model = model.module
        else:
            break
    return model


@contextlib.contextmanager
def rng_kept() -> Iterator[None]:
    """Every random number generator a data loader or a forward pass may draw from, put back afterwards."""
    import torch

    initialised = torch.cuda.is_initialized()
    devices = list(range(torch.cuda.device_count())) if initialised else []
    state = random.getstate()
    numpy_state = _numpy_state()
    with torch.random.fork_rng(devices=devices):
        try:
            yield
        finally:
            random.setstate(state)
            if numpy_state is not None:
                import numpy

                numpy.random.set_state(numpy_state)


def _numpy_state() -> Any:
    try:
        import numpy
    except ImportError:
        return None
    return numpy.random.get_state()


def peek_batch(dataloader: Any) -> Any:
    """The first batch ``dataloader`` yields, read without drawing from any RNG the run will use.

    accelerate's ``DataLoaderShard`` registers itself with the run's gradient state while iterated,
    so its ``base_dataloader`` (already sharded per process) is read instead (an accelerate internal).
    """
    if dataloader is None:
        return None
    source = getattr(dataloader, "base_dataloader", dataloader)
    with rng_kept():
        iterator = iter(source)
        try:
            return next(iterator)
        except StopIteration:
            return None
        finally:
            del iterator
