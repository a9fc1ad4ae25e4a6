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
from lora_lint.suppression import SuppressionFacts

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
    from lora_lint.sources.adapter_files import SavedAdapter
    from lora_lint.facts.targeting import TargetingFacts
    from lora_lint.facts.training import TrainingFacts
    from lora_lint.facts.trainer_inputs import TrainerInputs
    from lora_lint.facts.supervision import Supervision
    from lora_lint.facts.dora import DoraFacts
    from lora_lint.facts.merged import MergedFacts
    from lora_lint.facts.tied import TiedFacts
    from lora_lint.sources.merged_files import MergedCheckpoints
    from lora_lint.frameworks.spelling import ConfigSpelling


@dataclass(frozen=True)
class SavedAdapters:
    """The adapters a loader read from one folder, kept so facts do not read their files again."""

    #: the folder the user named (an adapter folder, or one checkpoint of a run)
    root: Path
    #: adapter name -> its saved config and weights file
    adapters: Mapping[str, SavedAdapter]


@dataclass(frozen=True)
class PeftRefusal:
    """peft refused to build the LoRA config on this model (``get_peft_model`` raised): its words, and why."""

    #: peft's exception type and message, as peft wrote them
    error: str
    message: str
    #: the LoraConfig field the refusal is about ("lora_dropout", "r", "target_modules"), when known
    field: str | None = None
    #: peft found nothing to adapt (no entry matched, or none was given)
    nothing_targeted: bool = False


@dataclass(frozen=True)
class RunMembership:
    """Where a setup sits in a training run folder."""

    #: the run folder (``checkpoint-*/`` below it, maybe a final adapter at its root)
    root: Path
    #: ``checkpoint-20`` or ``final``
    stage: str
    #: the run's last setup shows the per-checkpoint table
    show_summary: bool = False


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
    #: what the loader read from a saved adapter folder (artifact route)
    saved: SavedAdapters | None = None
    #: the training run this setup is one stage of (run route)
    run: RunMembership | None = None
    #: the ``--model`` folder the adapters are checked against
    base_model_dir: Path | None = None
    #: why targets cannot be checked against a base model (it could not be built offline)
    cannot_verify: str | None = None
    #: setups of one training run share a group: what an earlier one reported is not repeated
    group: str | None = None
    #: how the job is launched (accelerate config, DeepSpeed JSON, WORLD_SIZE), for the pre-flight rules
    launch: LaunchFacts | None = None
    #: a merged checkpoint with its base (and adapter): ``check MERGED_DIR --model BASE``
    merged: MergedCheckpoints | None = None
    #: a framework config's own key names and lines, so findings speak the user's YAML
    spelling: ConfigSpelling | None = None
    #: what the first optimizer step with a learning rate changed (a guarded training run, assert_trainer_learns)
    first_step: FirstStepFacts | None = None
    #: how the ranks of a job compare, when already known (otherwise compared across the process group)
    ranks: RankAgreement | None = None
    #: the tokenizer (a Trainer's ``processing_class``): pad and EOS ids for the supervision rules
    tokenizer: Any = None
    #: a Trainer target's ``TrainingArguments``
    training_args: Any = None
    #: what a Trainer target does to the inputs (label names, removed columns)
    trainer_inputs: TrainerInputs | None = None
    #: peft refused the LoRA config on this base (the setup holds the bare base model instead)
    peft_refusal: PeftRefusal | None = None

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
        if self.launch is not None:
            have |= Needs.LAUNCH
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
