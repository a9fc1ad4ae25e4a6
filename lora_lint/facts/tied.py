"""Tied input/output embeddings, and adapters that train or save one side of the pair only.

A model ties ``lm_head.weight`` to the input embedding when its config says ``tie_word_embeddings`` and
its class names the pair in ``_tied_weights_keys`` (a list in transformers 4, a dict in 5). peft wraps
what ``modules_to_save`` names and what ``target_modules`` matches separately, so one side alone unties
them; ``ensure_weight_tying=True`` (peft >= 0.18) makes peft treat both sides alike.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from lora_lint.context import RuleContext
    from lora_lint.sources.merged_files import Checkpoint

#: input-embedding tensor names of common architectures (a merged folder has no module tree to ask)
_INPUT_EMBEDDINGS = ("embed_tokens.weight", "wte.weight", "word_embeddings.weight", "embed_in.weight", "shared.weight")


@dataclass(frozen=True)
class TiedSplit:
    """One side of a tied pair trained or saved on its own."""

    #: the adapter whose config does it (None for a merged folder's tensors)
    adapter: str | None
    side: str
    other: str
    #: "modules_to_save", "target_modules", or "merged" (the folder holds two different tensors)
    how: str


@dataclass(frozen=True)
class TiedFacts:
    tied: bool
    splits: tuple[TiedSplit, ...] = ()
    #: the installed peft knows ``ensure_weight_tying``
    peft_keeps_ties: bool = False


def peft_keeps_ties() -> bool:
    try:
        from peft import LoraConfig
    except ImportError:
        return False
    return "ensure_weight_tying" in getattr(LoraConfig, "__dataclass_fields__", {})


def collect_tied(ctx: RuleContext) -> TiedFacts | None:
    setup = ctx.setup
    if setup.merged is not None:
        return _merged_tie(setup.merged.merged)
    if setup.model is None and setup.base_model is None:
        return None
    base = ctx.model.base
    if base is None or not _ties(base):
        return TiedFacts(False)
    names = _embedding_names(base)
    if names is None:
        return TiedFacts(True)
    keeps = peft_keeps_ties()
    splits: list[TiedSplit] = []
    for adapter, config in ctx.model.configs.items():
        if keeps and getattr(config, "ensure_weight_tying", False):
            continue
        touched: dict[str, str] = {}
        saved = list(getattr(config, "modules_to_save", None) or ())
        for name in names:
            if any(name == entry or name.endswith("." + entry) for entry in saved):  # peft's suffix match
                touched[name] = "modules_to_save"
        targeting = ctx.targeting.get(adapter)
        for name in names:
            if targeting is not None and name in targeting.targeted:
                touched.setdefault(name, "target_modules")
        if len(touched) == 1:
            (side, how), other = next(iter(touched.items())), next(n for n in names if n not in touched)
            splits.append(TiedSplit(adapter, side, other, how))
    return TiedFacts(True, tuple(splits), keeps)


def _ties(base: Any) -> bool:
    config = getattr(base, "config", None)
    if config is None:
        return False
    text = config.get_text_config() if hasattr(config, "get_text_config") else config
    # transformers internal: _tied_weights_keys names the tied pair (list in 4.x, dict in 5.x)
    return bool(getattr(text, "tie_word_embeddings", False)) and bool(getattr(type(base), "_tied_weights_keys", None))


def _embedding_names(base: Any) -> tuple[str, str] | None:
    try:
        inp, out = base.get_input_embeddings(), base.get_output_embeddings()
    except (AttributeError, NotImplementedError):
        return None
    if inp is None or out is None:
        return None
    by_id = {id(m): name for name, m in base.named_modules()}
    if id(inp) not in by_id or id(out) not in by_id:
        return None
    return by_id[id(inp)], by_id[id(out)]


def _merged_tie(merged: Checkpoint) -> TiedFacts:
    if not _config_ties(merged):
        return TiedFacts(False)
    out = next((k for k in merged.files if k == "lm_head.weight" or k.endswith(".lm_head.weight")), None)
    inp = next((k for k in merged.files if k.endswith(_INPUT_EMBEDDINGS) and merged.shapes[k] == merged.shapes.get(out or "")), None)
    if out is None or inp is None or not _differ(merged, inp, out):
        return TiedFacts(True)
    return TiedFacts(True, (TiedSplit(None, out.removesuffix(".weight"), inp.removesuffix(".weight"), "merged"),))


def _config_ties(merged: Checkpoint) -> bool:
    """The config's tie_word_embeddings, with the model class's default when the file leaves it out."""
    raw = merged.config.get("tie_word_embeddings")
    if isinstance(raw, bool):
        return raw
    text = merged.config.get("text_config")
    if isinstance(text, dict) and isinstance(text.get("tie_word_embeddings"), bool):
        return bool(text["tie_word_embeddings"])
    try:
        from transformers import AutoConfig

        config = AutoConfig.from_pretrained(str(merged.folder))
    except (ImportError, OSError, ValueError, KeyError):
        return False
    text_config = config.get_text_config() if hasattr(config, "get_text_config") else config
    return bool(getattr(text_config, "tie_word_embeddings", False))


def _differ(merged: Checkpoint, a: str, b: str) -> bool:
    import numpy as np

    from lora_lint.facts.tensors import TensorFile

    with TensorFile(merged.files[a]) as fa, TensorFile(merged.files[b]) as fb:
        return any(not np.array_equal(x, y) for x, y in zip(fa.blocks(a), fb.blocks(b)))

