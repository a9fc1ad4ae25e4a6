"""What the user gave (``Setup``) and what rules read (``RuleContext``: the setup plus cached facts)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any

from lora_lint.findings import Location, Note
from lora_lint.rules._base import Needs
from lora_lint.settings import Settings

if TYPE_CHECKING:
    from lora_lint.facts.layers import LayerFacts
    from lora_lint.facts.model import ModelFacts
    from lora_lint.facts.parts import ModelParts
    from lora_lint.facts.targeting import TargetingFacts
    from lora_lint.facts.training import TrainingFacts
    from lora_lint.frameworks.spelling import ConfigSpelling


@dataclass
class Setup:
    """One LoRA fine-tuning configuration to lint, from whichever source it came."""

    #: how the user named it: "<model>", "train.py:build", an adapter folder, "run/checkpoint-20"
    target: str
    #: a module holding peft LoRA layers (a PeftModel or any nn.Module), live or on the meta device
    model: Any = None
    batch: Any = None
    optimizer: Any = None
    #: the base model's module tree when no wrapped model exists (an adapter checked against --model)
    base_model: Any = None
    #: adapter name -> LoraConfig keyword arguments exactly as the user wrote or saved them
    lora_configs: dict[str, dict[str, Any]] = field(default_factory=dict)
    #: False when the model was built on the meta device: value checks are skipped with a note
    weights: bool = True
    #: adapter name -> saved adapter folder (artifact route)
    adapter_dirs: dict[str, Path] = field(default_factory=dict)
    #: ordered checkpoints of one training run (run route), or a lock file to compare against
    checkpoints: tuple[Path, ...] = ()
    lock_file: Path | None = None
    #: the file (and line) findings point at: the factory's source, the LoRA config, the adapter file
    origin: Location = field(default_factory=Location)
    #: notes the loader wants shown (e.g. "built on the meta device")
    notes: list[Note] = field(default_factory=list)
    #: loader-specific extras, kept out of the core vocabulary
    extras: dict[str, Any] = field(default_factory=dict)
    #: setups of one training run share a group: what an earlier one reported is not repeated
    group: str | None = None
    #: a framework config's own key names and lines, so findings speak the user's YAML
    spelling: ConfigSpelling | None = None

    def provides(self, settings: Settings) -> Needs:
        """What this setup can give rules, under these settings."""
        have = Needs.NONE
        if self.model is not None:
            have |= Needs.MODEL | Needs.BASE
            meta = _meta_parameters(self.model)
            if self.weights and meta != "all":
                have |= Needs.WEIGHTS
                # a forward pass over meta tensors computes nothing real
                if settings.probe and meta == "none":
                    have |= Needs.PROBE
            if getattr(self.model, "peft_config", None) or self.lora_configs:
                have |= Needs.CONFIG
        if self.base_model is not None:
            have |= Needs.BASE
        if self.lora_configs:
            have |= Needs.CONFIG
        if self.adapter_dirs:
            have |= Needs.ARTIFACT
        if self.checkpoints or self.lock_file is not None:
            have |= Needs.RUN
        return have


def _meta_parameters(model: Any) -> str:
    """'none', 'some' or 'all': how many of the model's parameters sit on the meta device."""
    flags = {bool(p.is_meta) for p in model.parameters()}
    if flags == {True}:
        return "all"
    return "some" if True in flags else "none"


class RuleContext:
    """The setup, the settings and every fact about the setup, each computed once on first use."""

    def __init__(self, setup: Setup, settings: Settings) -> None:
        self.setup = setup
        self.settings = settings
        self.notes: list[Note] = []

    def note(self, message: str, code: str | None = None) -> None:
        """Tell the user something that is not a finding (e.g. why a check could not run)."""
        self.notes.append(Note(message, self.setup.target, code))

    @property
    def target(self) -> str:
        return self.setup.target

    @cached_property
    def model(self) -> ModelFacts:
        """peft configs, the base module tree and the model type."""
        from lora_lint.facts.model import collect_model_facts

        return collect_model_facts(self.setup)

    @cached_property
    def layers(self) -> LayerFacts:
        """Every LoRA layer and adapter slot, with r, alpha, scaling, dtype, device, requires_grad."""
        from lora_lint.facts.layers import collect_layers

        return collect_layers(self.setup.model, self.model)

    @cached_property
    def targeting(self) -> Mapping[str, TargetingFacts]:
        """Per adapter: what every config entry matches, by peft's own matching."""
        from lora_lint.facts.targeting import collect_targeting

        return collect_targeting(self.model)

    @cached_property
    def parts(self) -> ModelParts:
        """Towers (vision/language, encoder/decoder), MoE routers and fused routed-expert parameters."""
        from lora_lint.facts.parts import collect_parts

        return collect_parts(self.model)

    @cached_property
    def training(self) -> TrainingFacts:
        """Activation checkpointing, input-embedding gradients, and the k-bit base's preparation."""
        from lora_lint.facts.training import collect_training

        return collect_training(self.setup, self.model)

    @cached_property
    def params(self) -> Any:
        """Trainable vs frozen parameters: adapter / declared (modules_to_save, bias, ...) / base leak."""
        from lora_lint.facts.params import collect_params

        return collect_params(self.setup, self.model, self.layers)

    @cached_property
    def probe(self) -> Any:
        """The forward/backward probe's result (None when it could not run)."""
        from lora_lint.probe.run import run_probe

        return run_probe(self)

    @cached_property
    def artifacts(self) -> Any:
        """Saved adapter tensors: shapes, zero and non-finite flags (read lazily)."""
        from lora_lint.facts.artifacts import collect_artifacts

        return collect_artifacts(self.setup)

    @cached_property
    def run(self) -> Any:
        """Comparisons between checkpoints of one run, or against a lock."""
        from lora_lint.facts.runs import collect_run

        return collect_run(self.setup)
