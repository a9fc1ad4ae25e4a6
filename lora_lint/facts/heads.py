"""Task heads and the token vocabulary: what the two ends of the model can learn, and whether they are new."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from lora_lint.facts.param_kinds import base_key

if TYPE_CHECKING:
    from lora_lint.facts.model import ModelFacts

#: Task architectures whose head transformers initialises fresh on top of a pretrained backbone.
TASK_SUFFIXES = (
    "ForSequenceClassification",
    "ForTokenClassification",
    "ForQuestionAnswering",
    "ForImageClassification",
    "ForAudioClassification",
    "ForMultipleChoice",
)
#: Top-level modules of those architectures that transformers creates for the task (not in a backbone checkpoint).
HEAD_NAMES = frozenset(
    {
        "classifier",
        "score",
        "qa_outputs",
        "classification_head",
        "pre_classifier",
        "projector",
        "sequence_summary",
        "logits_proj",
        "qa_classifier",
    }
)


@dataclass(frozen=True)
class HeadFact:
    """A task head of a ``*For<Task>`` model (a top-level module named like one, beside the backbone)."""

    key: str
    architecture: str
    #: the architecture the checkpoint was saved as (``config.architectures``), when known
    checkpoint_architecture: str | None
    #: the head is new: the checkpoint is not of the same task
    fresh: bool
    trainable: bool
    #: peft saves it with the adapter (a ModulesToSaveWrapper sits on it)
    saved: bool
    #: a LoRA layer sits on (or inside) it
    lora: bool


@dataclass(frozen=True)
class VocabFacts:
    """Vocabulary of the base checkpoint against the live embedding matrix, and what can train its rows."""

    #: vocab_size of the checkpoint the model was loaded from, and where it was read
    checkpoint_vocab: int | None
    checkpoint_source: str | None
    embedding: str | None
    embedding_rows: int | None
    head: str | None
    #: how each side can learn the new rows: "modules_to_save", "lora", "trainable", "trainable_tokens" or None
    embedding_trains: str | None
    head_trains: str | None
    #: token ids covered by trainable_token_indices (active, trainable)
    token_indices: tuple[int, ...]

    @property
    def new_rows(self) -> range:
        """Rows added beyond the checkpoint's vocabulary (empty when unknown)."""
        if self.checkpoint_vocab is None or self.embedding_rows is None:
            return range(0)
        return range(self.checkpoint_vocab, self.embedding_rows)


def _under(path: str, model: Any) -> Iterator[tuple[str, Any]]:
    for name, module in model.named_modules():
        if name == path or name.startswith(f"{path}."):
            yield name, module


def _trains_how(model: Any, path: str | None) -> tuple[str | None, tuple[int, ...]]:
    """How the module at ``path`` can learn per-row values, and the token ids trainable tokens cover."""
    from peft.tuners.lora import LoraLayer
    from peft.utils.other import ModulesToSaveWrapper, TrainableTokensWrapper

    if path is None:
        return None, ()
    how: str | None = None
    indices: list[int] = []
    for _, module in _under(path, model):
        if isinstance(module, ModulesToSaveWrapper) and module.modules_to_save:
            how = how or "modules_to_save"
        elif isinstance(module, TrainableTokensWrapper):
            for adapter in module.active_adapters:
                indices.extend(module.token_adapter.token_indices.get(adapter, ()))
        elif isinstance(module, LoraLayer):
            how = how or "lora"
    trainable = any(p.requires_grad for _, m in _under(path, model) for p in m.parameters(recurse=False))
    if how is None and not indices and trainable:
        how = "trainable"
    if how is None and indices:
        how = "trainable_tokens"
    return how, tuple(sorted(set(indices)))


def _path_of(model: Any, target: Any) -> str | None:
    for name, module in model.named_modules():
        if module is target:
            return str(name)
    return None


def _rows(module: Any) -> int | None:
    inner = getattr(module, "original_module", None)
    inner = module if inner is None else inner
    inner = inner.get_base_layer() if hasattr(inner, "get_base_layer") else inner
    weight = getattr(inner, "weight", None)
    return int(weight.shape[0]) if weight is not None and weight.dim() == 2 else None


def _checkpoint_vocab(base: Any, facts: ModelFacts) -> tuple[int | None, str | None]:
    """The vocab_size in the config.json of the checkpoint the base came from (local folder or HF cache)."""
    cfg = getattr(base, "config", None)
    names = [getattr(cfg, "_name_or_path", None)]
    names += [getattr(c, "base_model_name_or_path", None) for c in facts.configs.values()]
    for name in dict.fromkeys(n for n in names if n):
        path = _config_file(str(name))
        if path is None:
            continue
        try:
            raw = json.loads(path.read_text())
        except (OSError, ValueError):
            continue
        text = raw.get("text_config") if isinstance(raw.get("text_config"), dict) else {}
        vocab = raw.get("vocab_size", text.get("vocab_size"))
        if isinstance(vocab, int):
            return vocab, str(path)
    return None, None


def _config_file(name: str) -> Path | None:
    local = Path(name) / "config.json"
    if local.is_file():
        return local
    try:  # a hub id already in the local cache; never a download
        from huggingface_hub import try_to_load_from_cache

        cached = try_to_load_from_cache(name, "config.json")
    except (ValueError, OSError):  # not a valid repo id (HFValidationError is a ValueError)
        return None
    return Path(cached) if isinstance(cached, str) else None


def collect_vocab(model: Any, base: Any, prefix: str, facts: ModelFacts) -> VocabFacts | None:
    """Checkpoint vocabulary against the live embedding rows, and how each end can learn new rows."""
    get_in = getattr(base, "get_input_embeddings", None)
    if get_in is None:
        return None
    try:
        emb = get_in()
        out = base.get_output_embeddings() if hasattr(base, "get_output_embeddings") else None
    except (AttributeError, NotImplementedError):
        return None
    if emb is None:
        return None
    emb_path, head_path = _path_of(model, emb), _path_of(model, out) if out is not None else None
    vocab, source = _checkpoint_vocab(base, facts)
    emb_how, emb_idx = _trains_how(model, emb_path)
    head_how, head_idx = _trains_how(model, head_path)
    return VocabFacts(
        checkpoint_vocab=vocab,
        checkpoint_source=source,
        embedding=base_key(emb_path, prefix) if emb_path is not None else None,
        embedding_rows=_rows(emb),
        head=base_key(head_path, prefix) if head_path is not None else None,
        embedding_trains=emb_how,
        head_trains=head_how,
        token_indices=tuple(sorted({*emb_idx, *head_idx})),
    )


def collect_heads(model: Any, base: Any, prefix: str) -> tuple[HeadFact, ...]:
    """The task heads of a ``*For<Task>`` model, whether they are new, trainable and saved."""
    from peft.tuners.lora import LoraLayer
    from peft.utils.other import ModulesToSaveWrapper

    arch = type(base).__name__
    suffix = next((s for s in TASK_SUFFIXES if arch.endswith(s)), None)
    if suffix is None:
        return ()
    backbone = getattr(base, "base_model_prefix", "") or ""
    archs = getattr(getattr(base, "config", None), "architectures", None) or []
    checkpoint = archs[0] if archs else None
    fresh = checkpoint is None or not str(checkpoint).endswith(suffix)
    base_path = prefix[:-1] if prefix else ""
    heads: list[HeadFact] = []
    for name, child in base.named_children():
        if name == backbone or name not in HEAD_NAMES or not any(True for _ in child.parameters()):
            continue
        path = f"{base_path}.{name}" if base_path else name
        subs = [m for _, m in _under(path, model)]
        heads.append(
            HeadFact(
                key=name,
                architecture=arch,
                checkpoint_architecture=checkpoint,
                fresh=fresh,
                trainable=any(p.requires_grad for p in child.parameters()),
                saved=any(isinstance(m, ModulesToSaveWrapper) and bool(m.modules_to_save) for m in subs),
                lora=any(isinstance(m, LoraLayer) for m in subs),
            )
        )
    return tuple(heads)
