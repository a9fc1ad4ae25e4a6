"""Which task head a saved classification adapter must carry, and whether its file carries it."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from lora_lint.facts.targeting import PEFT_DEFAULT_SAVED

if TYPE_CHECKING:
    from lora_lint.context import Setup
    from lora_lint.facts.artifacts import AdapterArtifact, ArtifactFacts
    from lora_lint.facts.model import ModelFacts

#: transformers classes that put a freshly initialised head on top of a pretrained backbone
HEAD_CLASS_SUFFIXES = (
    "ForSequenceClassification",
    "ForTokenClassification",
    "ForQuestionAnswering",
    "ForImageClassification",
    "ForAudioClassification",
    "ForAudioFrameClassification",
    "ForMultipleChoice",
)


@dataclass(frozen=True)
class HeadCheck:
    """A head the adapter must carry, why, and the saved tensors that belong to it."""

    #: "task_type SEQ_CLS" or "the base is BartForSequenceClassification"
    reason: str
    #: module names of the head (base module keys, or peft's default names without a base)
    heads: tuple[str, ...]
    #: saved (non-LoRA) tensor names that belong to one of the heads
    saved: tuple[str, ...]
    #: peft's own modules_to_save for this task (what it saves by itself)
    peft_defaults: tuple[str, ...]
    #: whether ``heads`` are the base class's own head modules (else the config's and peft's names, which a
    #: file without them shows are not the head's real name)
    named_by_base: bool = False


def _task(config: dict[str, Any]) -> str:
    return str(config.get("task_type") or "").split(".")[-1].upper()


def base_heads(model: ModelFacts) -> tuple[str, ...]:
    """Direct children of a *For<Task> model that hold weights and are not its backbone."""
    base = model.base
    if base is None:
        return ()
    backbone = getattr(base, "base_model_prefix", "") or ""
    heads = []
    for name, child in base.named_children():
        if name == backbone or next(child.parameters(), None) is None:
            continue
        heads.append(name)
    return tuple(heads)


def _base_has(model_dir: Path | None, heads: tuple[str, ...]) -> bool | None:
    """Whether the base checkpoint itself holds trained head weights (None: no weights to tell)."""
    if model_dir is None:
        return None
    from lora_lint.facts.tensors import TensorFile
    from lora_lint.sources.adapter_files import read_json

    folder = Path(model_dir)
    keys: list[str] = []
    if (folder / "model.safetensors").is_file():
        with TensorFile(folder / "model.safetensors") as tf:
            keys = tf.keys()
    elif (folder / "model.safetensors.index.json").is_file():
        keys = list(read_json(folder / "model.safetensors.index.json", "weight index").get("weight_map", {}))
    else:
        return None
    return any(k.startswith(f"{h}.") for k in keys for h in heads)


def _belongs(module: str, head: str, exact: bool) -> bool:
    if exact:
        return module == head or module.startswith(f"{head}.")
    # peft matches modules_to_save by a plain suffix of the module path (peft.utils.other._set_trainable)
    parts = module.split(".")
    return any(".".join(parts[: i + 1]).endswith(head) for i in range(len(parts)))


def head_check(adapter: AdapterArtifact, model: ModelFacts | None, model_dir: Path | None) -> HeadCheck | None:
    """What head this adapter must carry, or None when it is not a classification adapter (or cannot tell)."""
    task = _task(dict(adapter.config))
    defaults = PEFT_DEFAULT_SAVED.get(task, ())
    arch = (model.architecture or "") if model is not None and model.base is not None else ""
    if defaults:
        reason = f"task_type {task}"
    elif arch.endswith(HEAD_CLASS_SUFFIXES):
        reason = f"the base is {arch}"
    else:
        return None
    if model is not None and arch.endswith(HEAD_CLASS_SUFFIXES):
        heads, exact = base_heads(model), True
        if not defaults and _base_has(model_dir, heads) is not False:
            return None  # the base checkpoint carries its own head, or we cannot tell
    else:
        saved_names = adapter.config.get("modules_to_save") or []
        heads, exact = tuple(dict.fromkeys([*saved_names, *defaults])), False
    if not heads:
        return None
    saved = tuple(
        t.saved.name
        for t in adapter.tensors
        if t.saved.part is None and any(_belongs(t.saved.module, h, exact) for h in heads)
    )
    return HeadCheck(reason, heads, saved, defaults, named_by_base=exact)


def collect_saved_heads(setup: Setup, model: ModelFacts, artifacts: ArtifactFacts) -> dict[str, HeadCheck]:
    """Per saved classification adapter: the head it must carry and what its file holds of it (reads files)."""
    known = model if setup.base_model is not None else None
    out: dict[str, HeadCheck] = {}
    for adapter in artifacts:
        head = head_check(adapter, known, artifacts.model_dir)
        if head is not None:
            out[adapter.name] = head
    return out
