"""Parameter facts: every parameter with its kind, trainability and optimizer membership, plus the model-wide
facts read in the same pass (heads, vocabulary, optimizer, quantization, nesting)."""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from lora_lint.facts.kbit_kinds import loaded_bits
from lora_lint.facts.optimizer import OptimizerFacts, optimizer_ids
from lora_lint.facts.param_kinds import Kind, base_key, classify
from lora_lint.facts.peft_matching import saved_entry_for

if TYPE_CHECKING:
    from lora_lint.context import Setup
    from lora_lint.facts.heads import HeadFact, VocabFacts
    from lora_lint.facts.layers import LayerFacts
    from lora_lint.facts.model import ModelFacts

__all__ = ["Kind", "OptimizerFacts", "ParamFact", "ParamFacts", "base_key", "collect_params", "count_by", "group_key"]


@dataclass(frozen=True)
class ParamFact:
    """One parameter (tied parameters counted once, under their first name)."""

    #: full name as ``model.named_parameters()`` shows it
    name: str
    #: the owning module's key in the base model, peft's wrappers seen through ("model.layers.0.self_attn.q_proj")
    module: str
    kind: Kind
    #: lora_A, lora_B, lora_embedding_A, lora_embedding_B, lora_magnitude_vector, modules_to_save, bias,
    #: trainable_tokens, or base
    role: str
    adapter: str | None
    requires_grad: bool
    numel: int
    #: None when the setup has no optimizer
    in_optimizer: bool | None


@dataclass(frozen=True)
class ParamFacts:
    params: tuple[ParamFact, ...]
    heads: tuple[HeadFact, ...]
    vocab: VocabFacts | None
    optimizer: OptimizerFacts | None
    #: "4-bit" / "8-bit" when the base is quantized with bitsandbytes
    quantized: str | None
    #: paths where a PeftModel (or tuner) sits inside another one, or a LoRA layer wraps a LoRA layer
    nested: tuple[str, ...]
    #: keys of LoRA layers the model's tuner did not inject (the tree already held them when wrapped again)
    unowned_layers: tuple[str, ...]
    #: the user's model is in train mode (PeftModel.from_pretrained leaves it in eval mode without is_trainable)
    training: bool = True
    #: peft_type of every config on the model ("LORA", "IA3", "PROMPT_TUNING", ...)
    peft_methods: tuple[str, ...] = ()
    #: (group of leaked modules (see :func:`group_key`), a modules_to_save entry wrapping it by whole names only)
    saved_entries: tuple[tuple[str, str], ...] = ()

    def __iter__(self) -> Iterator[ParamFact]:
        return iter(self.params)

    def of(self, kind: Kind) -> tuple[ParamFact, ...]:
        return tuple(p for p in self.params if p.kind is kind)

    @property
    def leaked(self) -> tuple[ParamFact, ...]:
        """Trainable base parameters that no config field declares."""
        return tuple(p for p in self.params if p.kind is Kind.BASE and p.requires_grad)

    def saved_entry(self, group: str) -> str | None:
        """The modules_to_save entry that declares a group of leaked modules, if one wraps it alone."""
        return dict(self.saved_entries).get(group)

    @property
    def trainable(self) -> tuple[ParamFact, ...]:
        return tuple(p for p in self.params if p.requires_grad)

    def adapter_params(self, adapter: str | None = None) -> tuple[ParamFact, ...]:
        return tuple(p for p in self.params if p.kind is Kind.ADAPTER and (adapter is None or p.adapter == adapter))

    @property
    def peft_added(self) -> frozenset[str]:
        """Names of the parameters peft added by its own markers: LoRA weights, modules_to_save copies, token deltas."""
        return frozenset(
            p.name for p in self.params if p.kind is Kind.ADAPTER or p.role in ("modules_to_save", "trainable_tokens")
        )

    @property
    def trainable_adapters(self) -> tuple[str, ...]:
        """Adapters with at least one trainable LoRA weight."""
        seen: dict[str, None] = {}
        for p in self.params:
            if p.kind is Kind.ADAPTER and p.requires_grad and p.adapter is not None:
                seen.setdefault(p.adapter)
        return tuple(seen)


def _quantized(base: Any) -> str | None:
    bits = loaded_bits(base)
    return f"{bits}-bit" if bits is not None else None


def collect_params(setup: Setup, model_facts: ModelFacts, layer_facts: LayerFacts) -> ParamFacts:
    """Classify every parameter of the user's model once; rules read the result, never the model."""
    from lora_lint.facts.heads import collect_heads, collect_vocab
    from lora_lint.facts.nesting import peft_containers, peft_methods, prefix_of, unowned_layers

    model = setup.model
    if model is None:
        return ParamFacts((), (), None, None, None, (), ())
    base = model_facts.base if model_facts.base is not None else model
    prefix = prefix_of(model, base)
    opt_ids = optimizer_ids(setup.optimizer) if setup.optimizer is not None else None
    opt_set = set(opt_ids) if opt_ids is not None else None
    params: list[ParamFact] = []
    tensors: dict[str, Any] = {}
    for name, path, kind, role, adapter, p in classify(model, model_facts):
        tensors[name] = p
        params.append(
            ParamFact(
                name=name,
                module=base_key(path, prefix),
                kind=kind,
                role=role,
                adapter=adapter,
                requires_grad=bool(p.requires_grad),
                numel=int(getattr(p, "ds_numel", None) or p.numel()),  # ZeRO-3 internal: numel() is 0
                in_optimizer=None if opt_set is None else id(p) in opt_set,
            )
        )
    optimizer = None
    if setup.optimizer is not None and opt_ids is not None:
        model_ids = {id(p) for p in tensors.values()}
        optimizer = OptimizerFacts(
            type(setup.optimizer).__name__, len(opt_ids), sum(1 for i in set(opt_ids) if i not in model_ids)
        )
    leak_groups = dict.fromkeys(group_key(f.module) for f in params if f.kind is Kind.BASE and f.requires_grad)
    saved = [(group, saved_entry_for(group, model_facts.base_keys)) for group in leak_groups]
    return ParamFacts(
        params=tuple(params),
        heads=collect_heads(model, base, prefix),
        vocab=collect_vocab(model, base, prefix, model_facts),
        optimizer=optimizer,
        quantized=_quantized(base),
        nested=peft_containers(model),
        unowned_layers=unowned_layers(model, prefix),
        training=bool(getattr(model, "training", True)),
        peft_methods=peft_methods(model),
        saved_entries=tuple((group, entry) for group, entry in saved if entry is not None),
    )


def group_key(module: str) -> str:
    """A module key with layer indices folded (``model.layers.*.mlp``), to group repeated layers."""
    return re.sub(r"(?<=\.)\d+(?=\.|$)|^\d+(?=\.)", "*", module)


def count_by(params: tuple[ParamFact, ...], key: Any) -> Mapping[str, tuple[int, int]]:
    """key -> (tensors, elements), in first-seen order."""
    out: dict[str, tuple[int, int]] = {}
    for p in params:
        k = key(p)
        t, n = out.get(k, (0, 0))
        out[k] = (t + 1, n + p.numel)
    return out
