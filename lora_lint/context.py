"""What rules read: ``RuleContext``, the setup plus every fact about it, each computed once (``Setup`` lives in
:mod:`lora_lint.setup` and is re-exported here)."""

from __future__ import annotations

from collections.abc import Mapping
from functools import cached_property
from typing import TYPE_CHECKING

from lora_lint.findings import Note
from lora_lint.settings import Settings
from lora_lint.setup import PeftRefusal, RunMembership, SavedAdapters, Setup
from lora_lint.suppression import SuppressionFacts

__all__ = ["PeftRefusal", "RuleContext", "RunMembership", "SavedAdapters", "Setup"]

if TYPE_CHECKING:
    from lora_lint.facts.artifacts import ArtifactFacts
    from lora_lint.facts.first_step import FirstStepFacts
    from lora_lint.facts.fsdp_units import FsdpUnits
    from lora_lint.facts.launch import LaunchFacts
    from lora_lint.facts.layers import LayerFacts
    from lora_lint.facts.model import ModelFacts
    from lora_lint.facts.params import ParamFacts
    from lora_lint.facts.parts import ModelParts
    from lora_lint.facts.placement import Placement
    from lora_lint.facts.rank_agreement import RankAgreement
    from lora_lint.facts.regression import RegressionFacts
    from lora_lint.facts.runs import RunFacts
    from lora_lint.facts.saved_heads import HeadCheck
    from lora_lint.facts.scales import ConfigScale
    from lora_lint.probe.result import ProbeResult
    from lora_lint.facts.targeting import TargetingFacts
    from lora_lint.facts.training import TrainingFacts
    from lora_lint.facts.supervision import Supervision
    from lora_lint.facts.dora import DoraFacts
    from lora_lint.facts.merged import MergedFacts
    from lora_lint.facts.tied import TiedFacts


class RuleContext:
    """The setup, the settings and every fact about the setup, each computed once on first use."""

    def __init__(self, setup: Setup, settings: Settings) -> None:
        self.setup = setup
        self.settings = settings
        self.notes: list[Note] = []
        #: set by the engine once the other rules ran and suppression applied (rules with Needs.SUPPRESSIONS)
        self.suppressions = SuppressionFacts()

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

        return collect_training(self.setup, self.model, self.params)

    @cached_property
    def params(self) -> ParamFacts:
        """Trainable vs frozen parameters: adapter / declared (modules_to_save, bias, ...) / base leak."""
        from lora_lint.facts.params import collect_params

        return collect_params(self.setup, self.model, self.layers)

    @property
    def first_step(self) -> FirstStepFacts | None:
        """What the first optimizer step with a learning rate changed, when a guarded run took one."""
        return self.setup.first_step

    @cached_property
    def probe(self) -> ProbeResult | None:
        """The forward/backward probe's result (None when it could not run)."""
        from lora_lint.probe.run import run_probe

        return run_probe(self)

    @property
    def probe_judged(self) -> bool:
        """Whether the probe ran its forward and backward, so that its rules had gradients to judge by."""
        probe = self.__dict__.get("probe")  # what the cached property above holds, read without running the probe
        return probe is not None and probe.failure is None

    @cached_property
    def artifacts(self) -> ArtifactFacts:
        """Saved adapter tensors: shapes, zero and non-finite flags (read lazily)."""
        from lora_lint.facts.artifacts import collect_artifacts

        return collect_artifacts(self.setup)

    @cached_property
    def run(self) -> RunFacts:
        """Comparisons between checkpoints of one run, or against a lock."""
        from lora_lint.facts.runs import collect_run

        return collect_run(self.setup)

    # -- facts derived from the ones above --

    @cached_property
    def scales(self) -> Mapping[str, tuple[ConfigScale, ...]]:
        """Per adapter: rank, alpha and scale of every targeted module (of every config entry without a base)."""
        from lora_lint.facts.scales import config_scales

        return config_scales(self.model, self.targeting)

    @cached_property
    def layer_scales(self) -> Mapping[tuple[str, str], ConfigScale]:
        """(adapter, base key) of every live LoRA layer slot -> the rank, alpha and scale its config gives it."""
        from lora_lint.facts.scales import layer_scales

        return layer_scales(self.layers, self.model)

    @cached_property
    def saved_heads(self) -> Mapping[str, HeadCheck]:
        """Per saved classification adapter: the task head it must carry, and the saved tensors of it."""
        from lora_lint.facts.saved_heads import collect_saved_heads

        return collect_saved_heads(self.setup, self.model, self.artifacts)

    # -- several processes: checkpoint regression and launch configuration ---------------------------

    @cached_property
    def regression(self) -> RegressionFacts:
        """The latest checkpoint against the one before: lora_B re-zeroed, zero row blocks at shard boundaries."""
        from lora_lint.facts.regression import collect_regression

        return collect_regression(self.setup)

    @property
    def launch(self) -> LaunchFacts:
        """The launch configuration (rules that read it need ``Needs.LAUNCH``, so it is set)."""
        from lora_lint.facts.launch import LaunchFacts

        return self.setup.launch or LaunchFacts()

    @cached_property
    def fsdp_units(self) -> FsdpUnits | None:
        """FSDP1's wrap units of the model under the configured auto-wrap policy (None without FSDP)."""
        from lora_lint.facts.fsdp_units import collect_fsdp_units

        wrap = self.launch.wrap
        return collect_fsdp_units(self.setup.model, wrap.value) if wrap is not None else None

    @cached_property
    def placement(self) -> Placement:
        """The model's device_map dispatch and its 4-bit storage dtype against its float dtype."""
        from lora_lint.facts.placement import collect_placement

        return collect_placement(self.setup.model)

    @cached_property
    def ranks(self) -> RankAgreement:
        """What the processes of the job disagree on: gradient on some ranks only, adapter weights."""
        from lora_lint.facts.rank_agreement import collect_rank_agreement

        return collect_rank_agreement(self)

    # -- merged checkpoints, tied embeddings, DoRA magnitudes ---------------------------------------
    @cached_property
    def merged(self) -> MergedFacts | None:
        """Merged vs base, layer by layer (read block-wise), against the adapter's update when given."""
        from lora_lint.facts.merged import collect_merged

        return collect_merged(self.setup.merged) if self.setup.merged is not None else None

    @cached_property
    def tied(self) -> TiedFacts | None:
        """Whether input/output embeddings are tied and which side each adapter trains or saves."""
        from lora_lint.facts.tied import collect_tied

        return collect_tied(self)

    @cached_property
    def supervision(self) -> Supervision | None:
        """Which tokens of the real batch are supervised (None without a batch of token labels)."""
        from lora_lint.facts.supervision import collect_supervision

        return collect_supervision(self.setup)

    @cached_property
    def dora(self) -> DoraFacts:
        """DoRA magnitude vectors of the live model: dtype and whether they are trainable."""
        from lora_lint.facts.dora import collect_dora

        return collect_dora(self.setup.model)
