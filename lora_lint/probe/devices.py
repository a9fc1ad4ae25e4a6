"""``--device auto|cpu|cuda|cuda:N``: validate the text, resolve it, and find where a live model sits."""

from __future__ import annotations

import re
from typing import Any

from lora_lint.errors import UsageError

_DEVICE_RE = re.compile(r"^(auto|cpu|cuda(:\d+)?)$")


def parse_device(spec: str | None) -> str:
    """The device setting normalised (``None`` means ``auto``); a usage error names the accepted forms.

    Does not import torch, so the command line can validate ``--device`` before anything heavy loads.
    """
    text = "auto" if spec is None else str(spec).strip().lower()
    if not _DEVICE_RE.match(text):
        raise UsageError(f"device must be auto, cpu, cuda or cuda:N, not {spec!r}")
    return text


def resolve_device(spec: str | None) -> str:
    """Where lora-lint should build a model it loads itself: ``auto`` is ``cuda`` when one is available.

    ``cuda`` or ``cuda:N`` on a machine without that GPU is a usage error rather than a crash later.
    """
    text = parse_device(spec)
    if text == "cpu":
        return "cpu"
    import torch

    available = torch.cuda.is_available()
    if text == "auto":
        return "cuda" if available else "cpu"
    if not available:
        raise UsageError(f"device {text!r} was asked for, but torch sees no CUDA device (use --device cpu)")
    index = int(text.split(":")[1]) if ":" in text else None
    if index is not None and index >= torch.cuda.device_count():
        raise UsageError(f"device {text!r} does not exist: torch sees {torch.cuda.device_count()} CUDA device(s)")
    return text


def model_device(model: Any) -> Any:
    """The device a batch must be on to feed ``model``: its input embeddings', else its first parameter's.

    A model spread over devices (``device_map``) takes its inputs where the embeddings sit.
    """
    import torch

    get_embeddings = getattr(model, "get_input_embeddings", None)
    if callable(get_embeddings):
        try:
            embeddings = get_embeddings()
        except (NotImplementedError, AttributeError, ValueError):
            embeddings = None
        weight = getattr(embeddings, "weight", None)
        if isinstance(weight, torch.Tensor):
            return weight.device
    for param in model.parameters():
        return param.device
    return torch.device("cpu")


def probe_device(model: Any, spec: str | None) -> tuple[Any, str | None]:
    """Where the probe runs (the model's own device) and a note when the setting asked for another.

    A live model is never moved: moving it would change the user's object and double its memory
    for a moment; a model lora-lint builds itself is placed by :func:`resolve_device` instead.
    """
    device = model_device(model)
    text = parse_device(spec)
    if text == "auto":
        return device, None
    wanted = text if ":" in text or text == "cpu" else f"{text}:{device.index or 0}"
    have = str(device) if device.type == "cpu" or device.index is not None else f"{device.type}:0"
    if wanted == have:
        return device, None
    return (
        device,
        f"the model is on {device}, so the probe ran there; --device {text} only places models lora-lint builds",
    )
