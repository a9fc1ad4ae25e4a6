"""The precision matrix's setups: every LoRA layer type peft has, times the adapter states peft supports.

The layer types are those of ``peft.tuners.lora`` (Linear, Embedding, Conv1d/2d/3d with groups and kernel sizes,
transformers' Conv1D, MultiheadAttention, ParamWrapper for ``target_parameters``, bitsandbytes 8-bit and 4-bit).
The tests build them in-process for ``lint()``; the same module is a factory module for ``lora-lint check``:
``tests.rules.precision_matrix_setups:linear__dora`` returns that combination's model, and
``...:linear__dora__batch`` the model and its batch. A combination peft itself refuses to build raises
:class:`Refused` with peft's words. Base models are built once per process and copied for each combination.

LoftQ (``init_lora_weights="loftq"``) is not in the matrix: peft computes its initialisation on CUDA only.
"""

from __future__ import annotations

import copy
import functools
import os
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch
import torch.nn as nn

from tests.rules.precision_models import attention, attention_batch
from tests.tiny_models import MLP, _seeded, gpt2, llama, llama_kbit, moe, saved_llama_dir
from tests.versions import TRANSFORMERS_5


class Refused(Exception):
    """peft refuses to build the combination, or builds one whose forward raises: no setup to judge."""


class Embed(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.emb = nn.Embedding(20, 16)
        self.pos = nn.Embedding(12, 16)
        self.head = nn.Linear(16, 4)

    def forward(self, ids: torch.Tensor) -> torch.Tensor:
        return self.head(self.emb(ids) + self.pos(torch.arange(ids.shape[1]))).mean(dim=1)


class Convs1d(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.wide = nn.Conv1d(4, 16, 3, padding=1)
        self.grouped = nn.Conv1d(16, 16, 3, padding=1, groups=2)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.grouped(torch.relu(self.wide(x))).mean(dim=2)


class Convs2d(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.wide = nn.Conv2d(4, 16, 3, padding=1)
        self.grouped = nn.Conv2d(16, 16, (3, 1), padding=(1, 0), groups=2)
        self.point = nn.Conv2d(16, 32, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.point(torch.relu(self.grouped(torch.relu(self.wide(x))))).mean(dim=(2, 3))


class Convs3d(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.wide = nn.Conv3d(2, 16, (1, 3, 3), padding=(0, 1, 1))
        self.point = nn.Conv3d(16, 16, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.point(torch.relu(self.wide(x))).mean(dim=(2, 3, 4))


def _built(cls: type[nn.Module]) -> Callable[[], nn.Module]:
    def build() -> nn.Module:
        _seeded()
        return cls().eval()

    return build


def _randn(*shape: int) -> Callable[[], torch.Tensor]:
    return lambda: torch.randn(*shape, generator=torch.Generator().manual_seed(0))


#: the aLoRA invocation sequence; the token batch holds it at positions 2-3
INVOCATION = [7, 8]


def _token_batch() -> dict[str, torch.Tensor]:
    """A causal-LM batch that supervises every token and holds the aLoRA invocation sequence."""
    ids = torch.arange(20, 36).reshape(2, 8)
    ids[:, 2:4] = torch.tensor(INVOCATION)
    return {"input_ids": ids, "attention_mask": torch.ones_like(ids), "labels": ids.clone()}


@dataclass(frozen=True)
class Layer:
    """One peft layer type: a base that holds it, the targets that reach it, and how to feed the base."""

    build: Callable[[], Any]
    targets: dict[str, Any]
    #: the batch to give; for a transformers model, a causal-LM batch of token ids
    batch: Callable[[], Any] = _token_batch
    #: the embedding and its token ids for trainable_token_indices
    tokens: dict[str, list[int]] | None = None
    #: the name of the ModuleList of repeated layers, for layers_to_transform
    layers: str | None = None
    #: rebuilt for every combination instead of copied (bitsandbytes' packed weights)
    fresh: bool = False
    #: a transformers causal LM (token ids in, aLoRA possible); None: a custom module
    task: str | None = None
    #: the adapter states to combine it with (None: every state); the slow bases take the ones that reach
    #: code paths of their own, to keep the matrix inside the suite's time
    states: tuple[str, ...] | None = None


#: bitsandbytes layers have their own forward, DoRA and multi-adapter paths
KBIT_STATES = ("plain", "two-active", "dora", "init-gaussian", "patterns", "trainable-tokens", "alora",
               "loaded-frozen")


#: where a ``lora-lint check`` process finds the tiny Llama it quantises (saved once by the test session)
LLAMA_DIR = "PRECISION_MATRIX_LLAMA_DIR"


def cli_environment(repo: Path) -> dict[str, str]:
    """What ``lora-lint check`` needs to import this module and build its k-bit bases."""
    return {"PYTHONPATH": str(repo), LLAMA_DIR: str(saved_llama_dir())}


def _prepared(bits: int) -> Any:
    from peft import prepare_model_for_kbit_training

    folder = os.environ.get(LLAMA_DIR)
    base = llama_kbit(bits, folder=Path(folder) if folder else None)
    return prepare_model_for_kbit_training(base, use_gradient_checkpointing=False)


LAYERS: dict[str, Layer] = {
    "linear": Layer(_built(MLP), {"target_modules": ["lin0", "lin1"]}, _randn(4, 16)),
    "embedding": Layer(_built(Embed), {"target_modules": ["emb", "pos"]}, lambda: torch.arange(10).reshape(2, 5),
                       tokens={"emb": [3, 4]}),
    "conv1d": Layer(_built(Convs1d), {"target_modules": ["wide", "grouped"]}, _randn(2, 4, 6)),
    "conv2d": Layer(_built(Convs2d), {"target_modules": ["wide", "grouped", "point"]}, _randn(2, 4, 6, 6)),
    "conv3d": Layer(_built(Convs3d), {"target_modules": ["wide", "point"]}, _randn(2, 2, 3, 5, 5)),
    "mha": Layer(attention, {"target_modules": ["mha"]}, attention_batch),
    "gpt2-conv1d": Layer(gpt2, {"target_modules": ["c_attn", "c_proj"], "fan_in_fan_out": True},
                         tokens={"wte": [5, 6]}, layers="h", task="CAUSAL_LM",
                         states=("plain", "two-active", "dora", "init-olora", "patterns", "layers-to-transform",
                                 "trainable-tokens", "alora", "init-eva")),
    "llama": Layer(llama, {"target_modules": ["q_proj", "v_proj", "embed_tokens"]}, tokens={"embed_tokens": [5, 6]},
                   layers="layers", task="CAUSAL_LM"),
    "bnb-8bit": Layer(lambda: _prepared(8), {"target_modules": ["q_proj", "v_proj"]}, tokens={"embed_tokens": [5, 6]},
                      layers="layers", fresh=True, task="CAUSAL_LM", states=KBIT_STATES),
    "bnb-4bit": Layer(lambda: _prepared(4), {"target_modules": ["q_proj", "v_proj"]}, tokens={"embed_tokens": [5, 6]},
                      layers="layers", fresh=True, task="CAUSAL_LM", states=KBIT_STATES),
}
if TRANSFORMERS_5:  # fused 3-D experts exist only in transformers 5 (tests.versions.fused_experts_only)
    LAYERS["target-parameters"] = Layer(
        lambda: moe("mixtral"),
        {"target_modules": ["q_proj"], "target_parameters": ["experts.gate_up_proj", "experts.down_proj"],
         "lora_dropout": 0.0},  # peft's ParamWrapper refuses dropout
        layers="layers", task="CAUSAL_LM", states=("plain", "two-active", "rslora", "patterns", "alora"),
    )


def _multi_active(model: Any, layer: Layer) -> None:
    from peft.tuners.lora import LoraLayer

    for module in model.modules():
        if isinstance(module, LoraLayer):
            module.set_adapter(["default", "other"])  # peft's multi-active support, set on the layers


def _loaded(trainable: bool) -> Callable[[Any, Layer], None]:
    """A second adapter saved and loaded back with ``load_adapter``: loaded, not active."""

    def load(model: Any, layer: Layer) -> None:
        with tempfile.TemporaryDirectory() as folder:
            model.save_pretrained(folder)
            model.load_adapter(folder, "other", is_trainable=trainable)

    return load


def _eva(model: Any, layer: Layer) -> None:
    """EVA's data-driven initialisation, from the layer inputs of the setup's own batch."""
    from peft import initialize_lora_eva_weights

    batch = layer.batch()
    if layer.task is None:
        raise Refused("peft's EVA initialisation reads language-model batches (input_ids, attention_mask)")
    initialize_lora_eva_weights(model, dataloader=[{k: batch[k] for k in ("input_ids", "attention_mask")}],
                                show_progress_bar=False)


def _corda(base: Any, config: Any, layer: Layer) -> None:
    """CorDA's preprocessing: the covariance of each target's inputs, from one row of the setup's batch."""
    from peft.tuners.lora.corda import preprocess_corda

    batch = layer.batch()
    row = {k: v[:1] for k, v in batch.items() if k != "labels"} if isinstance(batch, dict) else None
    preprocess_corda(base, config, run_model=lambda: base(**row) if row is not None else base(batch[:1]))


@dataclass(frozen=True)
class State:
    """One adapter state: LoraConfig fields, and what is done to the wrapped model after ``get_peft_model``."""

    fields: dict[str, Any]
    #: a second adapter "other" (r=4) is added with the same targets
    second: bool = False
    after: Callable[[Any, Layer], None] | None = None
    #: rank_pattern/alpha_pattern on the first module target (and the first parameter target)
    patterns: bool = False
    #: trainable_token_indices on the layer's embedding
    tokens: bool = False
    #: needs a causal LM's token ids
    token_ids: bool = False
    #: configs built from the base before get_peft_model (CorDA)
    before: Callable[[Any, Any, Layer], None] | None = None


def _sub(kind: str, **fields: Any) -> Callable[[], Any]:
    def build() -> Any:
        from peft.tuners.lora import config

        return getattr(config, kind)(**fields)

    return build


STATES: dict[str, State] = {
    "plain": State({}),
    "two-adapters": State({}, second=True),
    "two-active": State({}, second=True, after=_multi_active),
    "loaded-frozen": State({}, after=_loaded(trainable=False)),
    "loaded-trainable": State({}, after=_loaded(trainable=True)),
    "dora": State({"use_dora": True}),
    "rslora": State({"use_rslora": True}),
    "alora": State({"alora_invocation_tokens": INVOCATION}, token_ids=True),
    "init-gaussian": State({"init_lora_weights": "gaussian"}),
    "init-pissa": State({"init_lora_weights": "pissa_niter_2"}),
    "init-olora": State({"init_lora_weights": "olora"}),
    "init-orthogonal": State({"init_lora_weights": "orthogonal"}),
    "init-eva": State({"init_lora_weights": "eva", "eva_config": _sub("EvaConfig", rho=1.0)}, after=_eva),
    "init-corda": State({"init_lora_weights": "corda", "corda_config": _sub("CordaConfig", corda_method="ipm")},
                        before=_corda),
    "patterns": State({}, patterns=True),
    "layers-to-transform": State({"layers_to_transform": [1]}),
    "trainable-tokens": State({}, tokens=True),
}


def _loaded_adapter_trains(model: Any) -> bool:
    """peft >= 0.18 leaves an adapter loaded with is_trainable=True trainable while inactive; 0.17 freezes it."""
    return any(p.requires_grad for n, p in model.named_parameters() if "other" in n.split("."))


@dataclass(frozen=True)
class NotCorrect:
    """A combination peft builds but that does not train as meant: the rule that says so, and what peft does."""

    code: str
    why: str
    #: whether the built model is in that state (None: always); peft versions differ
    applies: Callable[[Any], bool] | None = None


#: A layer of None stands for every layer type.
NOT_CORRECT: dict[tuple[str | None, str], NotCorrect] = {
    ("bnb-8bit", "dora"): NotCorrect(
        "LORA402",
        "bitsandbytes' 8-bit matmul fails in training once DoRA has computed its weight norm on CPU ('NoneType' "
        "object has no attribute 'unsqueeze' in MatMul8bitLt): no loss can be computed, whatever the batch",
    ),
    ("mha", "two-active"): NotCorrect(
        "LORA401",
        "peft's MultiheadAttention merges every active adapter to run and unmerges after, and only the last merged "
        "adapter stays in the autograd graph: the first gets no gradient (checked with a plain backward)",
    ),
    (None, "loaded-trainable"): NotCorrect(
        "LORA204",
        "load_adapter(is_trainable=True) makes the loaded adapter trainable but leaves 'default' active: the "
        "optimizer holds the loaded adapter's weights, and the forward never uses them",
        applies=_loaded_adapter_trains,
    ),
}


def not_correct(name: str, state: str, model: Any) -> NotCorrect | None:
    """The rule that rightly fires on this built combination and why, or None for a correct combination."""
    wrong = NOT_CORRECT.get((name, state)) or NOT_CORRECT.get((None, state))
    return wrong if wrong is not None and (wrong.applies is None or wrong.applies(model)) else None


def combinations() -> list[tuple[str, str]]:
    return [(n, s) for n, layer in LAYERS.items() for s in STATES if layer.states is None or s in layer.states]


@functools.cache
def _base(name: str) -> Any:
    return LAYERS[name].build()


def build(name: str, state: str) -> Any:
    """The wrapped model of one combination, or :class:`Refused` with peft's words."""
    from peft import LoraConfig, get_peft_model

    layer, spec = LAYERS[name], STATES[state]
    fields = {k: v() if callable(v) else v for k, v in spec.fields.items()}
    if "layers_to_transform" in fields:
        if layer.layers is None:
            raise Refused("no repeated layers to pick from")
        fields["layers_pattern"] = layer.layers
    if spec.token_ids and layer.task is None:
        raise Refused("aLoRA finds its invocation tokens in input_ids: a causal LM's setting")
    targets = dict(layer.targets)
    if spec.patterns:
        first = targets["target_modules"][0]
        fields.update(rank_pattern={first: 4}, alpha_pattern={first: 4})
        if "target_parameters" in targets:
            fields["rank_pattern"][targets["target_parameters"][0]] = 4
    if spec.tokens:  # peft trains new tokens of an embedding LoRA does not wrap
        if layer.tokens is None:
            raise Refused("no embedding to add trainable tokens to")
        fields["trainable_token_indices"] = layer.tokens
        targets["target_modules"] = [t for t in targets["target_modules"] if t not in layer.tokens]
    config = {"r": 8, "lora_alpha": 16, "lora_dropout": 0.05, "task_type": layer.task, **targets, **fields}
    base = layer.build() if layer.fresh else copy.deepcopy(_base(name))
    try:
        lora_config = LoraConfig(**config)
        if spec.before is not None:
            spec.before(base, lora_config, layer)
        model = get_peft_model(base, lora_config)
        if spec.second:
            model.add_adapter("other", LoraConfig(**{**config, "r": 4, "lora_alpha": 8}))
        if spec.after is not None:
            spec.after(model, layer)
    except (ValueError, TypeError, AttributeError, NotImplementedError, RuntimeError, KeyError, IndexError) as exc:
        raise Refused(f"peft refuses this combination: {type(exc).__name__}: {str(exc).splitlines()[0][:200]}")
    try:
        with torch.no_grad():
            _forward(model, layer.batch())
    except (RuntimeError, ValueError) as exc:
        raise Refused(f"peft builds a model whose forward raises: {type(exc).__name__}: {str(exc)[:200]}")
    return model


def _forward(model: Any, batch: Any) -> Any:
    return model(**batch) if isinstance(batch, dict) else model(batch)


def factory_name(name: str, state: str, batch: bool) -> str:
    """The attribute ``lora-lint check`` names for one combination (identifiers: dashes become underscores)."""
    return f"{name}__{state}{'__batch' if batch else ''}".replace("-", "_")


_FACTORIES = {factory_name(n, s, b): (n, s, b) for n, s in combinations() for b in (False, True)}


def __getattr__(attribute: str) -> Callable[[], Any]:
    """A factory for ``lora-lint check tests.rules.precision_matrix_setups:<layer>__<state>[__batch]``."""
    if attribute not in _FACTORIES:
        raise AttributeError(attribute)
    name, state, with_batch = _FACTORIES[attribute]

    def factory() -> Any:
        model = build(name, state)
        return (model, LAYERS[name].batch()) if with_batch else model

    factory.__name__ = attribute
    return factory
