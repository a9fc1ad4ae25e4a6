"""Saved adapter tensors: names and shapes from the file header, values scanned lazily one block at a time."""

from __future__ import annotations

import math
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any

from lora_lint.facts.peft_keys import SavedKey, parse_key
from lora_lint.facts.scales import lora_scale

if TYPE_CHECKING:
    from lora_lint.context import Setup
    from lora_lint.facts.base_mapping import BaseMapping
    from lora_lint.facts.model import ModelFacts
    from lora_lint.sources.adapter_files import SavedAdapter


@dataclass(frozen=True)
class SavedTensor:
    """One tensor of the file, by header: its name (split along peft's conventions), shape and dtype."""

    saved: SavedKey
    shape: tuple[int, ...]
    dtype: str

    @property
    def numel(self) -> int:
        return math.prod(self.shape)


@dataclass(frozen=True)
class TensorValues:
    """What one pass over a tensor's values found."""

    zero: bool
    nan: int
    inf: int
    sq_norm: float


@dataclass(frozen=True)
class SavedLayer:
    """One adapted module of a saved adapter: its A and B factors and the r/alpha the config gives it."""

    module: str
    a: SavedTensor | None
    b: SavedTensor | None
    #: what LoraModel would build for this module (rank_pattern / alpha_pattern applied)
    r: int
    alpha: float
    use_rslora: bool

    @property
    def scale(self) -> float:
        value = lora_scale(self.r, self.alpha, self.use_rslora)
        return math.inf if value is None else value


@dataclass(frozen=True)
class ScanResult:
    """Values of every tensor and, per layer, the Frobenius norm of B·A (before scaling)."""

    values: Mapping[str, TensorValues]
    product_norms: Mapping[str, float]


@dataclass(frozen=True)
class AdapterArtifact:
    """One saved adapter: config as written, tensors by header; values are read on first use."""

    name: str
    folder: Path
    weights: Path | None
    config: Mapping[str, Any]
    tensors: tuple[SavedTensor, ...]
    #: ``global_step`` of the trainer_state.json beside it, when there is one
    trainer_step: int | None = None

    @property
    def file(self) -> str:
        return str(self.weights or self.folder / "adapter_config.json")

    @property
    def config_file(self) -> str:
        return str(self.folder / "adapter_config.json")

    def factors(self) -> Iterator[SavedTensor]:
        """The LoRA A and B weights (what the learned update is made of)."""
        return (t for t in self.tensors if t.saved.is_factor)

    @cached_property
    def layers(self) -> tuple[SavedLayer, ...]:
        """One entry per module holding an A or B factor, in file order, with its configured r/alpha."""
        by_module: dict[str, dict[str, SavedTensor]] = {}
        for t in self.factors():
            by_module.setdefault(t.saved.module, {})[t.saved.role or ""] = t
        cfg = self.config
        r0, alpha0 = cfg.get("r", 8), cfg.get("lora_alpha", 8)
        ranks, alphas = dict(cfg.get("rank_pattern") or {}), dict(cfg.get("alpha_pattern") or {})
        rslora = bool(cfg.get("use_rslora", False))
        out = []
        for module, parts in by_module.items():
            r = ranks.get(_pattern_key(ranks, module), r0) if ranks else r0
            alpha = alphas.get(_pattern_key(alphas, module), alpha0) if alphas else alpha0
            out.append(SavedLayer(module, parts.get("A"), parts.get("B"), int(r), float(alpha), rslora))
        return tuple(out)

    @cached_property
    def scan(self) -> ScanResult:
        """One pass over the file: per-tensor zero / NaN / Inf / norm, and the Gram matrices of A and B."""
        from lora_lint.facts.artifact_scan import scan_values

        return scan_values(self)

    @cached_property
    def update_norms(self) -> dict[str, float]:
        """Per layer, ||scale · B·A||_F: how much the adapter changes that layer's weight."""
        norms = self.scan.product_norms
        return {layer.module: norms[layer.module] * abs(layer.scale) for layer in self.layers if layer.module in norms}


def _pattern_key(patterns: Mapping[str, Any], module: str) -> str:
    # peft internal: LoraModel._create_and_replace picks a layer's r/alpha with get_pattern_key,
    # restated in config_view so reading a saved adapter imports no torch.
    from lora_lint.facts.config_view import pattern_key

    return pattern_key(list(patterns), module)


@dataclass(frozen=True)
class ArtifactFacts:
    """Every saved adapter of one setup, and where the base model's folder is (for layer norms)."""

    adapters: tuple[AdapterArtifact, ...]
    model_dir: Path | None = None
    _on_base: dict[str, BaseMapping] = field(default_factory=dict, compare=False, repr=False)

    def __iter__(self) -> Iterator[AdapterArtifact]:
        return iter(self.adapters)

    def get(self, name: str) -> AdapterArtifact | None:
        return next((a for a in self.adapters if a.name == name), None)

    def on_base(self, adapter: AdapterArtifact, model: ModelFacts) -> BaseMapping:
        """Where each of the adapter's tensors lands on the base model (computed once per adapter)."""
        if adapter.name not in self._on_base:
            from lora_lint.facts.base_mapping import map_onto_base

            self._on_base[adapter.name] = map_onto_base(adapter, model)
        return self._on_base[adapter.name]


def artifact_of(adapter: SavedAdapter, root: Path | None = None) -> AdapterArtifact:
    """Header-only facts of one saved adapter (no values read, no torch for safetensors)."""
    from lora_lint.facts.tensors import TensorFile
    from lora_lint.sources.adapter_files import trainer_step

    tensors: list[SavedTensor] = []
    if adapter.weights is not None:
        with TensorFile(adapter.weights) as tf:
            tensors = [SavedTensor(parse_key(k), tf.shape(k), tf.dtype(k)) for k in tf.keys()]
    return AdapterArtifact(
        name=adapter.name,
        folder=adapter.folder,
        weights=adapter.weights,
        config=dict(adapter.config),
        tensors=tuple(tensors),
        trainer_step=trainer_step(adapter.folder, root),
    )


def collect_artifacts(setup: Setup) -> ArtifactFacts:
    from lora_lint.sources.adapter_files import load_adapters

    root = setup.saved.root if setup.saved is not None else None
    saved: Mapping[str, SavedAdapter]
    if setup.saved is not None:
        saved = setup.saved.adapters
    else:
        saved = {n: a for folder in dict.fromkeys(setup.adapter_dirs.values()) for n, a in load_adapters(folder).items()}
    return ArtifactFacts(tuple(artifact_of(a, root) for a in saved.values()), setup.base_model_dir)
