"""What the user gave: ``Setup`` (one LoRA setup to lint, from whichever source) and its typed parts."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from lora_lint.findings import Location, Note
from lora_lint.rules._base import Needs
from lora_lint.settings import Settings

if TYPE_CHECKING:
    from lora_lint.facts.first_step import FirstStepFacts
    from lora_lint.facts.launch import LaunchFacts
    from lora_lint.facts.rank_agreement import RankAgreement
    from lora_lint.facts.trainer_inputs import TrainerInputs
    from lora_lint.frameworks.spelling import ConfigSpelling
    from lora_lint.sources.adapter_files import SavedAdapter
    from lora_lint.sources.merged_files import MergedCheckpoints


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
