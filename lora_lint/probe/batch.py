"""The probe's inputs: the user's batch moved to the model's device, or a small one built from the config."""

from __future__ import annotations

import inspect
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

#: Small on purpose: the probe checks wiring, not statistics.
BATCH_SIZE = 2
SEQ_LEN = 8
SEED = 0


class BatchUnavailable(Exception):
    """No inputs could be built; the message says why and ends up in LORA402."""


@dataclass(frozen=True)
class ProbeBatch:
    """Positional and keyword arguments for one forward call, and how to describe them."""

    args: tuple[Any, ...] = ()
    kwargs: Mapping[str, Any] = field(default_factory=dict)
    #: "user" or "synthetic"
    source: str = "synthetic"
    #: what the user reads: "input_ids[2, 8] int64, labels[2, 8] int64"
    description: str = ""
    #: the batch feeds only part of the model (token ids for a model that also reads images), so a
    #: layer it never reaches is not evidence of a bug
    partial: bool = False


def describe(value: Any, name: str = "") -> str:
    """A short shape/dtype listing of tensors, e.g. ``input_ids[2, 8] int64``."""
    import torch

    if isinstance(value, torch.Tensor):
        dtype = str(value.dtype).replace("torch.", "")
        return f"{name or 'tensor'}[{', '.join(str(d) for d in value.shape)}] {dtype}"
    if isinstance(value, Mapping):
        return ", ".join(describe(v, str(k)) for k, v in value.items())
    if isinstance(value, (tuple, list)):
        return ", ".join(describe(v, f"{name or 'arg'}{i}") for i, v in enumerate(value))
    return f"{name or 'value'}={type(value).__name__}"


def to_device(value: Any, device: Any) -> Any:
    """Move every tensor (in dicts, tuples, lists) to ``device``; a new container, the user's is untouched."""
    import torch

    if isinstance(value, torch.Tensor):
        return value.to(device)
    if isinstance(value, Mapping):
        return {k: to_device(v, device) for k, v in value.items()}
    if isinstance(value, list):
        return [to_device(v, device) for v in value]
    if isinstance(value, tuple):
        return tuple(to_device(v, device) for v in value)
    return value


def user_batch(batch: Any, model: Any, base: Any, device: Any) -> ProbeBatch:
    """The user's batch for one forward call: a mapping as keywords, a tensor or tuple positionally.

    A tuple longer than the forward takes (``(x, y)`` for ``forward(self, x)``) passes only what
    fits; the rest is taken for targets, and the loss becomes the surrogate.
    """
    import torch

    if isinstance(batch, Mapping):
        kwargs = to_device(dict(batch), device)
        return ProbeBatch((), kwargs, "user", describe(kwargs))
    if isinstance(batch, torch.Tensor):
        args: tuple[Any, ...] = (batch.to(device),)
        return ProbeBatch(args, {}, "user", describe(args[0], "input"))
    if isinstance(batch, (tuple, list)):
        args = tuple(to_device(v, device) for v in batch)
        room = _positional_room(model, base)
        text = describe(args, "input")
        if room is not None and room < len(args):
            text += f" (first {room} passed; the forward takes {room} positional input(s))"
            args = args[:room]
        return ProbeBatch(args, {}, "user", text)
    raise BatchUnavailable(f"a batch must be a dict, a tensor or a tuple of tensors, not {type(batch).__name__}")


def _positional_room(model: Any, base: Any) -> int | None:
    """How many positional inputs the forward takes (None: any number); looks through ``*args`` wrappers."""
    for module in (model, base):
        try:
            params = list(inspect.signature(module.forward).parameters.values())
        except (TypeError, ValueError, AttributeError):
            continue
        if any(p.kind is p.VAR_POSITIONAL for p in params):
            continue
        return sum(p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD) for p in params)
    return None


def synthetic_batch(base: Any, device: Any) -> ProbeBatch:
    """A batch built from the model's config and class: token ids, images or a guessed tensor input."""
    import torch

    gen = torch.Generator().manual_seed(SEED)
    config = getattr(base, "config", None)
    if config is None:
        return _guessed_input(base, device, gen)
    kind = type(base).__name__
    main = getattr(base, "main_input_name", "input_ids")
    towers: list[str] = []
    if main == "input_ids":
        values = _text_inputs(base, config, kind, gen)
        towers = [name for key, name in _OTHER_TOWERS.items() if getattr(config, key, None) is not None]
    elif main == "pixel_values":
        values = _image_inputs(base, config, kind, gen)
    else:
        raise BatchUnavailable(f"cannot build inputs for {kind} (main input {main!r}); pass a batch")
    kwargs = to_device(values, device)
    text = describe(kwargs)
    if towers:
        text += f" (text only: no inputs for its {' or '.join(towers)} tower)"
    return ProbeBatch((), kwargs, "synthetic", text, partial=bool(towers))


#: Config fields of multimodal models whose towers a text-only batch does not reach.
_OTHER_TOWERS = {"vision_config": "vision", "audio_config": "audio", "speech_config": "speech"}


def _text_config(config: Any) -> Any:
    get = getattr(config, "get_text_config", None)
    return get() if callable(get) else config


def _seq_len(config: Any) -> int:
    for attr in ("max_position_embeddings", "n_positions", "max_source_positions"):
        limit = getattr(config, attr, None)
        if isinstance(limit, int) and limit > 0:
            return min(SEQ_LEN, limit)
    return SEQ_LEN


def _text_inputs(base: Any, config: Any, kind: str, gen: Any) -> dict[str, Any]:
    import torch

    text = _text_config(config)
    vocab = getattr(text, "vocab_size", None)
    if not isinstance(vocab, int) or vocab <= 0:
        raise BatchUnavailable(f"cannot build token ids for {kind}: its config has no vocab_size; pass a batch")
    if kind.endswith("ForMultipleChoice"):
        raise BatchUnavailable(f"cannot build multiple-choice inputs for {kind}; pass a batch")
    length = _seq_len(text)
    # Sequence classification pools the last non-pad token and refuses batches > 1 without a pad id.
    size = (
        1 if kind.endswith("ForSequenceClassification") and getattr(text, "pad_token_id", None) is None else BATCH_SIZE
    )
    ids = torch.randint(0, vocab, (size, length), generator=gen)
    values: dict[str, Any] = {"input_ids": ids, "attention_mask": torch.ones_like(ids)}
    num_labels = int(getattr(config, "num_labels", 2) or 2)
    if getattr(config, "is_encoder_decoder", False):
        start = getattr(config, "decoder_start_token_id", None)
        start = start if isinstance(start, int) else (getattr(config, "pad_token_id", None) or 0)
        labels = torch.randint(0, vocab, (size, length), generator=gen)
        values["decoder_input_ids"] = torch.cat([torch.full((size, 1), start), labels[:, :-1]], dim=1)
        if _has_lm_head(kind):
            values["labels"] = labels
    elif _has_lm_head(kind):
        values["labels"] = ids.clone()
    elif kind.endswith("ForSequenceClassification"):
        values["labels"] = _class_labels(config, num_labels, (size,), gen)
    elif kind.endswith("ForTokenClassification"):
        values["labels"] = torch.randint(0, num_labels, (size, length), generator=gen)
    elif kind.endswith("ForQuestionAnswering"):
        values["start_positions"] = torch.randint(0, length, (size,), generator=gen)
        values["end_positions"] = torch.randint(0, length, (size,), generator=gen)
    return values


def _has_lm_head(kind: str) -> bool:
    return kind.endswith(("ForCausalLM", "LMHeadModel", "ForMaskedLM", "ForConditionalGeneration", "ForSeq2SeqLM"))


def _class_labels(config: Any, num_labels: int, shape: tuple[int, ...], gen: Any) -> Any:
    """Labels the head's loss accepts: floats for regression and multi-label, class indices otherwise."""
    import torch

    problem = getattr(config, "problem_type", None)
    if problem == "multi_label_classification":
        return torch.randint(0, 2, (*shape, num_labels), generator=gen).float()
    if problem == "regression" or num_labels == 1:
        return torch.randn(*shape, *((num_labels,) if num_labels > 1 else ()), generator=gen)
    return torch.randint(0, num_labels, shape, generator=gen)


def _image_inputs(base: Any, config: Any, kind: str, gen: Any) -> dict[str, Any]:
    import torch

    vision = getattr(config, "vision_config", None) or config
    size = getattr(vision, "image_size", None)
    if isinstance(size, (list, tuple)):
        height, width = int(size[0]), int(size[-1])
    elif isinstance(size, int):
        height = width = size
    else:
        raise BatchUnavailable(f"cannot build pixel_values for {kind}: its config has no image_size; pass a batch")
    channels = int(getattr(vision, "num_channels", 3) or 3)
    dtype = _float_dtype(base)
    values: dict[str, Any] = {"pixel_values": torch.randn(BATCH_SIZE, channels, height, width, generator=gen).to(dtype)}
    if kind.endswith("ForImageClassification"):
        values["labels"] = _class_labels(config, int(getattr(config, "num_labels", 2) or 2), (BATCH_SIZE,), gen)
    return values


def _float_dtype(module: Any) -> Any:
    import torch

    for param in module.parameters():
        if param.is_floating_point():
            return param.dtype
    return torch.float32


def _guessed_input(base: Any, device: Any, gen: Any) -> ProbeBatch:
    """For a module without a config: one tensor shaped for its first layer (Linear, Embedding, Conv)."""
    import torch
    from peft.tuners.tuners_utils import BaseTunerLayer
    from torch import nn

    kind = type(base).__name__
    for name, module in base.named_modules():
        if isinstance(module, BaseTunerLayer):
            module = module.get_base_layer()
        if isinstance(module, nn.Linear):
            dtype = module.weight.dtype if module.weight.is_floating_point() else _float_dtype(base)
            x = torch.randn(BATCH_SIZE, module.in_features, generator=gen).to(dtype)
        elif isinstance(module, nn.Embedding):
            x = torch.randint(0, module.num_embeddings, (BATCH_SIZE, SEQ_LEN), generator=gen)
        elif isinstance(module, (nn.Conv1d, nn.Conv2d)):
            spatial = (16,) * (1 if isinstance(module, nn.Conv1d) else 2)
            x = torch.randn(BATCH_SIZE, module.in_channels, *spatial, generator=gen).to(module.weight.dtype)
        elif next(module.parameters(recurse=False), None) is not None:
            break
        else:
            continue
        x = x.to(device)
        where = name or kind
        return ProbeBatch((x,), {}, "synthetic", f"{describe(x, 'x')} (guessed from the first layer, {where})")
    raise BatchUnavailable(f"cannot build inputs for {kind}: it has no transformers config; pass a batch")
