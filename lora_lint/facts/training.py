"""Training-setup facts: activation checkpointing, input-embedding gradients, k-bit base and its preparation."""

from __future__ import annotations

import functools
import warnings
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from lora_lint.facts.kbit_kinds import layer_bits, loaded_bits, packed_bits

if TYPE_CHECKING:
    from lora_lint.context import Setup
    from lora_lint.facts.model import ModelFacts
    from lora_lint.facts.params import ParamFacts

#: torch.utils.checkpoint.checkpoint runs the reentrant variant when use_reentrant is not passed
#: (torch 2.4 to 2.13 warn and then set use_reentrant = True).
TORCH_UNSET_REENTRANT = True
#: Hook functions that make the input embeddings' output require grad: transformers'
#: PreTrainedModel.enable_input_require_grads and peft's fallback in prepare_model_for_kbit_training.
INPUT_GRAD_HOOK_NAMES = frozenset({"make_inputs_require_grads", "make_inputs_require_grad"})
_HALF = frozenset({"float16", "bfloat16"})


def transformers_default_reentrant() -> bool | None:
    """``use_reentrant`` that ``gradient_checkpointing_enable()`` without kwargs gives in the installed transformers.

    transformers 4.35-4.5x pass ``{"use_reentrant": True}``; 5.x ``activation_checkpointing_enable`` passes
    ``{"use_reentrant": False}`` (read in ``PreTrainedModel._activation_checkpointing_enable``).
    """
    try:
        import transformers
    except ImportError:  # pragma: no cover - transformers is a dependency of every setup with a base model
        return None
    major = int(transformers.__version__.split(".")[0])
    return major < 5


@dataclass(frozen=True)
class CheckpointingFacts:
    """Whether activation (gradient) checkpointing is on, where, and which torch variant runs."""

    enabled: bool
    #: module paths whose ``gradient_checkpointing`` flag is on
    modules: tuple[str, ...]
    #: the reentrant variant runs; None when a custom checkpoint function hides it
    reentrant: bool | None
    #: where ``reentrant`` comes from, for messages
    reentrant_source: str

    def covers(self, path: str) -> bool:
        """Whether the module at ``path`` runs inside a checkpointed module."""
        return any(path == m or path.startswith(f"{m}.") or not m for m in self.modules)


@dataclass(frozen=True)
class InputGradFacts:
    """Whether the input embeddings' output will require grad in training."""

    #: module paths of the input embeddings (one per distinct embedding module)
    embeddings: tuple[str, ...]
    #: every input embedding has a parameter that requires grad (LoRA on it, modules_to_save, new tokens)
    trainable: bool
    #: every input embedding has a registered input-grad forward hook
    hooked: bool
    #: forward hooks on the embeddings that are not recognised as input-grad hooks
    other_hooks: int

    @property
    def ok(self) -> bool:
        return not self.embeddings or self.trainable or self.hooked


@dataclass(frozen=True)
class KbitFacts:
    """A bitsandbytes k-bit base and what ``prepare_model_for_kbit_training`` would have changed."""

    bits: int
    #: number of bitsandbytes quantized layers
    quantized_layers: int
    #: (parameter name, dtype) of normalisation weights in float16/bfloat16
    half_norms: tuple[tuple[str, str], ...]
    #: (parameter name, dtype) of other non-quantized base tensors in float16/bfloat16 (embeddings, head)
    half_other: tuple[tuple[str, str], ...]

    @property
    def norms_prepared(self) -> bool:
        return not self.half_norms


@dataclass(frozen=True)
class TrainingFacts:
    checkpointing: CheckpointingFacts
    input_grads: InputGradFacts
    #: None when the base is not a bitsandbytes k-bit model
    kbit: KbitFacts | None


_OFF = CheckpointingFacts(False, (), None, "checkpointing is off")
_NO_INPUT = InputGradFacts((), False, False, 0)


def collect_training(setup: Setup, facts: ModelFacts, params: ParamFacts) -> TrainingFacts:
    """Read (never change) the training-related state of the user's model."""
    model = setup.model if setup.model is not None else setup.base_model
    if model is None or facts.base is None:
        return TrainingFacts(_OFF, _NO_INPUT, None)
    paths = {id(m): n for n, m in model.named_modules(remove_duplicate=False)}
    return TrainingFacts(
        checkpointing=_checkpointing(model, facts.base),
        input_grads=_input_grads(facts.base, paths),
        kbit=_kbit(model, facts.base, params.peft_added),
    )


def _checkpointing(model: Any, base: Any) -> CheckpointingFacts:
    flagged = [(n, m) for n, m in model.named_modules() if getattr(m, "gradient_checkpointing", False) is True]
    if not flagged:
        # A custom model may answer only through the property (transformers 5.x name first, then 4.x).
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", FutureWarning)
            on = getattr(base, "is_activation_checkpointing", None)
            if on is None:
                on = getattr(base, "is_gradient_checkpointing", None)
        if on is not True:
            return _OFF
        flagged = [("", base)]
    reentrant: bool | None = None
    source = "a custom checkpoint function"
    for _, module in flagged:
        value, why = _reentrant_of(getattr(module, "_gradient_checkpointing_func", None))
        if value is not None and (reentrant is None or value):
            reentrant, source = value, why
    return CheckpointingFacts(True, tuple(n for n, _ in flagged), reentrant, source)


def _reentrant_of(func: Any) -> tuple[bool | None, str]:
    import torch.utils.checkpoint as ckpt

    if func is None or func is ckpt.checkpoint:
        # transformers < 4.35 called checkpoint(...) without use_reentrant.
        return TORCH_UNSET_REENTRANT, "use_reentrant not passed (torch then runs the reentrant variant)"
    if isinstance(func, functools.partial):
        inner = func.func
        while isinstance(inner, functools.partial):
            inner = inner.func
        if "use_reentrant" in func.keywords:
            value = bool(func.keywords["use_reentrant"])
            return value, f"use_reentrant={value}"
        return TORCH_UNSET_REENTRANT, "use_reentrant not passed (torch then runs the reentrant variant)"
    return None, "a custom checkpoint function"


def _input_embeddings(base: Any) -> list[Any]:
    """Input embeddings the way ``enable_input_require_grads`` finds them (every sub-model's, deduplicated)."""
    try:
        from transformers import PreTrainedModel
    except ImportError:  # pragma: no cover
        return []
    found: dict[int, Any] = {}
    for module in base.modules():
        if not (isinstance(module, PreTrainedModel) and hasattr(module, "get_input_embeddings")):
            continue
        try:
            emb = module.get_input_embeddings()
        except Exception:  # noqa: BLE001  models without embeddings raise NotImplementedError, AttributeError, ...
            continue
        if emb is not None and hasattr(emb, "register_forward_hook"):
            found.setdefault(id(emb), emb)
    return list(found.values())


def _stored_hook_ids(base: Any) -> set[int]:
    # transformers internal: enable_input_require_grads keeps its handles in _require_grads_hooks (5.x)
    # and _require_grads_hook (4.x and 5.x for compatibility); a handle removed by hand is gone from the dict.
    ids: set[int] = set()
    for module in base.modules():
        handles = list(getattr(module, "_require_grads_hooks", None) or [])
        single = getattr(module, "_require_grads_hook", None)
        if single is not None:
            handles.append(single)
        ids.update(h.id for h in handles if hasattr(h, "id"))
    return ids


def _input_grads(base: Any, paths: dict[int, str]) -> InputGradFacts:
    embeddings = _input_embeddings(base)
    if not embeddings:
        return _NO_INPUT
    stored = _stored_hook_ids(base)
    trainable = hooked = True
    other = 0
    for emb in embeddings:
        trainable &= any(p.requires_grad for p in emb.parameters())
        has_hook = False
        for sub in emb.modules():
            for hook_id, hook in sub._forward_hooks.items():
                if hook_id in stored or getattr(hook, "__name__", "") in INPUT_GRAD_HOOK_NAMES:
                    has_hook = True
                else:
                    other += 1
        hooked &= has_hook
    names = tuple(paths.get(id(e), type(e).__name__) for e in embeddings)
    return InputGradFacts(names, trainable, hooked, other)


def _kbit(model: Any, base: Any, peft_added: frozenset[str]) -> KbitFacts | None:
    bits = [b for m in model.modules() if (b := layer_bits(m)) is not None]
    if not bits:
        loaded = loaded_bits(base)
        method = str(getattr(base, "quantization_method", "") or "").lower()
        if loaded is None and "bitsandbytes" not in method:
            return None
        bits = [loaded or 8]  # a bitsandbytes quantization_method with neither flag set counts as 8-bit
    names = {id(p): n for n, p in model.named_parameters(remove_duplicate=False)}
    norms: list[tuple[str, str]] = []
    norm_ids: set[int] = set()
    for module in base.modules():
        if "norm" not in type(module).__name__.lower():
            continue
        for p in module.parameters(recurse=False):
            norm_ids.add(id(p))
            dtype = str(p.dtype).replace("torch.", "")
            if dtype in _HALF:
                norms.append((names.get(id(p), "?"), dtype))
    other: list[tuple[str, str]] = []
    for name, p in model.named_parameters():
        dtype = str(p.dtype).replace("torch.", "")
        if id(p) in norm_ids or dtype not in _HALF or packed_bits(p) is not None:
            continue
        if name in peft_added:  # what peft added (LoRA weights, saved copies) is not part of the base
            continue
        other.append((name, dtype))
    return KbitFacts(min(bits), len(bits), tuple(norms), tuple(other))
