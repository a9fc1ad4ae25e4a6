"""Every LoRA layer type peft has, times the adapter states peft supports: each correct combination is quiet at
warning and error through ``lint()``, probe included.

The layer types are those of ``peft.tuners.lora`` (Linear, Embedding, Conv1d/2d/3d with groups and kernel sizes,
transformers' Conv1D, MultiheadAttention, ParamWrapper for ``target_parameters``, bitsandbytes 8-bit and 4-bit).
A combination peft itself refuses to build is no setup to judge: it is skipped with peft's words. Base models are
built once per module and copied for each combination.
"""

from __future__ import annotations

import copy
import functools
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
import torch
import torch.nn as nn

from lora_lint import lint
from tests.rules.precision_models import attention, attention_batch
from tests.tiny_models import MLP, _seeded, gpt2, llama, llama_kbit, moe
from tests.versions import TRANSFORMERS_5


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


@dataclass(frozen=True)
class Layer:
    """One peft layer type: a base that holds it, the targets that reach it, and how to feed the base."""

    build: Callable[[], Any]
    targets: dict[str, Any]
    #: None: lora-lint builds the batch itself (a transformers model)
    batch: Callable[[], Any] | None = None
    #: the embedding and its token ids for trainable_token_indices
    tokens: dict[str, list[int]] | None = None
    #: the name of the ModuleList of repeated layers, for layers_to_transform
    layers: str | None = None
    #: rebuilt for every combination instead of copied (bitsandbytes' packed weights)
    fresh: bool = False
    task: str | None = None
    #: the adapter states to combine it with (None: every state); the slow bases take the ones that reach
    #: code paths of their own, to keep the matrix inside the suite's time
    states: tuple[str, ...] | None = None


#: bitsandbytes layers have their own forward, DoRA and multi-adapter paths
KBIT_STATES = ("plain", "two-active", "dora", "init-gaussian", "patterns", "trainable-tokens")

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
                                 "trainable-tokens")),
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
        layers="layers", task="CAUSAL_LM", states=("plain", "two-active", "rslora", "patterns"),
    )


def _prepared(bits: int) -> Any:
    from peft import prepare_model_for_kbit_training

    return prepare_model_for_kbit_training(llama_kbit(bits), use_gradient_checkpointing=False)


def _multi_active(model: Any) -> None:
    from peft.tuners.lora import LoraLayer

    for module in model.modules():
        if isinstance(module, LoraLayer):
            module.set_adapter(["default", "other"])  # peft's multi-active support, set on the layers


#: adapter states: LoraConfig fields and what is done to the wrapped model after get_peft_model
STATES: dict[str, dict[str, Any]] = {
    "plain": {},
    "two-adapters": {"second": None},
    "two-active": {"second": _multi_active},
    "dora": {"use_dora": True},
    "rslora": {"use_rslora": True},
    "init-gaussian": {"init_lora_weights": "gaussian"},
    "init-pissa": {"init_lora_weights": "pissa_niter_2"},
    "init-olora": {"init_lora_weights": "olora"},
    "patterns": {"patterns": True},
    "layers-to-transform": {"layers_to_transform": [1]},
    "trainable-tokens": {"tokens": True},
}


#: combinations peft builds but that do not train as meant: the rule that says so, and what peft really does
NOT_CORRECT: dict[tuple[str, str], tuple[str, str]] = {
    ("bnb-8bit", "dora"): (
        "LORA402",
        "bitsandbytes' 8-bit matmul fails in training once DoRA has computed its weight norm on CPU ('NoneType' "
        "object has no attribute 'unsqueeze' in MatMul8bitLt): no loss can be computed, whatever the batch",
    ),
    ("mha", "two-active"): (
        "LORA401",
        "peft's MultiheadAttention merges every active adapter to run and unmerges after, and only the last merged "
        "adapter stays in the autograd graph: the first gets no gradient (checked with a plain backward)",
    ),
}


@functools.cache
def _base(name: str) -> Any:
    return LAYERS[name].build()


def _model(name: str, state: str) -> Any:
    from peft import LoraConfig, get_peft_model

    layer = LAYERS[name]
    spec = dict(STATES[state])
    if "layers_to_transform" in spec:
        if layer.layers is None:
            pytest.skip("no repeated layers to pick from")
        spec["layers_pattern"] = layer.layers
    if spec.pop("tokens", False) and layer.tokens is None:
        pytest.skip("no embedding to add trainable tokens to")
    targets = dict(layer.targets)
    if spec.pop("patterns", False):
        first = targets["target_modules"][0]
        spec.update(rank_pattern={first: 4}, alpha_pattern={first: 4})
        if "target_parameters" in targets:
            spec["rank_pattern"][targets["target_parameters"][0]] = 4
    if STATES[state].get("tokens"):  # peft trains new tokens of an embedding LoRA does not wrap
        spec["trainable_token_indices"] = layer.tokens
        targets["target_modules"] = [t for t in targets["target_modules"] if t not in layer.tokens]
    has_second = "second" in spec
    after = spec.pop("second", None)
    config = {"r": 8, "lora_alpha": 16, "lora_dropout": 0.05, "task_type": layer.task, **targets}
    config.update(spec)
    base = layer.build() if layer.fresh else copy.deepcopy(_base(name))
    try:
        model = get_peft_model(base, LoraConfig(**config))
        if has_second:
            model.add_adapter("other", LoraConfig(**{**config, "r": 4, "lora_alpha": 8}))
    except (ValueError, TypeError, AttributeError, NotImplementedError, RuntimeError) as exc:
        pytest.skip(f"peft refuses this combination: {type(exc).__name__}: {str(exc).splitlines()[0][:200]}")
    if after is not None:
        after(model)
    try:
        with torch.no_grad():
            model(_batch(name))
    except (RuntimeError, ValueError) as exc:
        pytest.skip(f"peft builds a model whose forward raises: {type(exc).__name__}: {str(exc)[:200]}")
    return model


def _batch(name: str) -> Any:
    batch = LAYERS[name].batch
    return torch.arange(16).reshape(2, 8) % 100 if batch is None else batch()


COMBINATIONS = [(n, s) for n, layer in LAYERS.items() for s in STATES if layer.states is None or s in layer.states]


@pytest.mark.parametrize(("name", "state"), COMBINATIONS)
def test_a_correct_combination_is_quiet_at_warning_and_error(name: str, state: str) -> None:
    model = _model(name, state)
    batch = LAYERS[name].batch
    report = lint(model, batch=None if batch is None else batch())
    failing = report.at_least("warning")
    if (name, state) in NOT_CORRECT:
        code, _why = NOT_CORRECT[name, state]
        assert {f.code for f in failing} <= {code}, report.format_findings()  # what peft does may differ by version
        return
    assert not failing, report.format_findings(failing)


@pytest.mark.parametrize("name", ["linear", "conv2d", "llama"])
def test_init_lora_weights_false_is_reported_by_lora305_alone(name: str) -> None:
    """A random lora_B is a deliberate non-identity start: LORA305's warning, and nothing else."""
    from peft import LoraConfig, get_peft_model

    layer = LAYERS[name]
    model = get_peft_model(copy.deepcopy(_base(name)), LoraConfig(r=8, lora_alpha=16, task_type=layer.task,
                                                                   init_lora_weights=False, **layer.targets))
    batch = layer.batch
    report = lint(model, batch=None if batch is None else batch())
    assert {f.code for f in report.at_least("warning")} == {"LORA305"}, report.format_findings()
