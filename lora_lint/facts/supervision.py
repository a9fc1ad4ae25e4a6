"""Which tokens of the real batch are supervised: ignored rows, the EOS token, rows cut at the maximum length.

The ignore index, pad and EOS ids come from the tokenizer, else from the model's config and its generation
config. Only token labels (``labels`` of the same shape as ``input_ids``) are read: one label per row (a
classifier) supervises every row by construction.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from lora_lint.context import Setup

#: torch's CrossEntropyLoss default, and what every transformers collator pads labels with
IGNORE_INDEX = -100
#: a tokenizer's ``model_max_length`` above this is transformers' "no limit" placeholder
_NO_LIMIT = 1_000_000


@dataclass(frozen=True)
class SpecialIds:
    """The pad and EOS ids of the setup and where they came from."""

    pad: int | None
    eos: tuple[int, ...]
    #: "tokenizer", "model config" or "generation config"
    source: str


@dataclass(frozen=True)
class Supervision:
    """Counts over the batch's token labels."""

    rows: int
    width: int
    #: label positions (attention mask 1) and how many of them are supervised (label != ignore index)
    positions: int
    supervised: int
    #: rows whose every label is the ignore index
    unsupervised_rows: tuple[int, ...]
    ids: SpecialIds
    #: supervised positions whose label is an EOS id
    eos_supervised: int
    #: the configured maximum length (arguments, else the tokenizer's), None when unknown
    max_length: int | None
    #: rows filling ``max_length``, supervised at the last position, with no EOS anywhere
    truncated_rows: tuple[int, ...]

    @property
    def pad_is_eos(self) -> bool:
        return self.ids.pad is not None and self.ids.pad in self.ids.eos


def collect_supervision(setup: Setup) -> Supervision | None:
    """The batch's supervision counts; None without a mapping batch holding token labels."""
    import torch

    batch = setup.batch
    if not isinstance(batch, Mapping):
        return None
    labels, ids = batch.get("labels"), batch.get("input_ids")
    if not isinstance(labels, torch.Tensor) or not isinstance(ids, torch.Tensor):
        return None
    if labels.dim() != 2 or labels.shape != ids.shape:
        return None
    labels, ids = labels.detach().cpu(), ids.detach().cpu()
    mask = batch.get("attention_mask")
    live = mask.detach().cpu().bool() if isinstance(mask, torch.Tensor) and mask.shape == ids.shape else torch.ones_like(ids, dtype=torch.bool)
    special = special_ids(setup)
    supervised = (labels != IGNORE_INDEX) & live
    eos = torch.zeros_like(ids, dtype=torch.bool)
    for e in special.eos:
        eos |= ids == e
    rows, width = ids.shape
    lengths = live.sum(dim=1)
    max_length = _max_length(setup)
    truncated: list[int] = []
    if max_length is not None and width >= max_length:
        for r in range(rows):
            n = int(lengths[r])
            if n >= max_length and bool(supervised[r, n - 1]) and not bool((eos[r] & live[r]).any()):
                truncated.append(r)
    eos_labels = torch.zeros_like(labels, dtype=torch.bool)
    for e in special.eos:
        eos_labels |= labels == e
    return Supervision(
        rows=rows,
        width=width,
        positions=int(live.sum()),
        supervised=int(supervised.sum()),
        unsupervised_rows=tuple(int(r) for r in (~supervised.any(dim=1)).nonzero().flatten()),
        ids=special,
        eos_supervised=int((eos_labels & supervised).sum()),
        max_length=max_length,
        truncated_rows=tuple(truncated),
    )


def special_ids(setup: Setup) -> SpecialIds:
    """Pad and EOS ids: the tokenizer's, else the model config's, else its generation config's."""
    tok = setup.tokenizer
    if tok is not None and getattr(tok, "eos_token_id", None) is not None:
        return SpecialIds(_int(getattr(tok, "pad_token_id", None)), _ids(tok.eos_token_id), "tokenizer")
    model = setup.model
    for source, holder in (("model config", getattr(model, "config", None)), ("generation config", getattr(model, "generation_config", None))):
        eos = _ids(getattr(holder, "eos_token_id", None))
        if eos:
            return SpecialIds(_int(getattr(holder, "pad_token_id", None)), eos, source)
    return SpecialIds(None, (), "none")


def _max_length(setup: Setup) -> int | None:
    """The arguments' ``max_length`` (TRL's SFTConfig: also ``max_seq_length``), else the tokenizer's."""
    for key in ("max_length", "max_seq_length"):
        value = getattr(setup.training_args, key, None)
        if isinstance(value, int) and not isinstance(value, bool) and value > 0:
            return value
    limit = getattr(setup.tokenizer, "model_max_length", None)
    return limit if isinstance(limit, int) and 0 < limit < _NO_LIMIT else None


def _int(value: Any) -> int | None:
    return value if isinstance(value, int) else None


def _ids(value: Any) -> tuple[int, ...]:
    if isinstance(value, int):
        return (value,)
    if isinstance(value, (list, tuple)):
        return tuple(v for v in value if isinstance(v, int))
    return ()
