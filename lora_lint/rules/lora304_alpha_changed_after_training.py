"""LORA304: a saved adapter's scale-defining config differs from what it was trained with."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

from lora_lint.findings import Basis, Finding, Severity
from lora_lint.hookspecs import RegisterRule
from lora_lint.plugins import hookimpl
from lora_lint.rules._base import Needs, Rule

if TYPE_CHECKING:
    from lora_lint.context import RuleContext


class AlphaChangedAfterTraining(Rule):
    """
    ## What it does
    Compares the fields that define an adapter's output scale (`lora_alpha`, `r`, `use_rslora`,
    `rank_pattern`, `alpha_pattern`) and its `target_modules` between the checkpoints of one training
    run, between a run's final adapter and its last checkpoint, and against a recorded
    `lora.lock.json`. It names the first checkpoint where a field changed and says how the output
    scale changes (e.g. "alpha 16 -> 32: the adapter's contribution doubles").

    ## Why is this bad?
    The learned update is multiplied by `lora_alpha / r` (or `lora_alpha / sqrt(r)` with rsLoRA) when
    the adapter is loaded. Resuming with another alpha, or editing `adapter_config.json` before upload,
    silently rescales everything the adapter learned: the model you ship is not the one you evaluated.

    ## Example
    ```text
    run/checkpoint-10/adapter_config.json   "lora_alpha": 16
    run/checkpoint-20/adapter_config.json   "lora_alpha": 32   # resumed with a new config
    ```

    ## Use instead
    ```text
    Resume with the config saved in the checkpoint (LoraConfig.from_pretrained("run/checkpoint-10")),
    and record it: lora-lint lock run/  then  lora-lint check run/ --lock run/lora.lock.json
    ```

    ## References
    - peft `LoraLayer.update_layer` (scaling = lora_alpha / r, or / sqrt(r) with use_rslora)
    """

    code = "LORA304"
    name = "alpha-changed-after-training"
    severity = Severity.ERROR
    needs = Needs.RUN
    basis = Basis.CONFIG
    hint = "Restore the values the adapter was trained with (or retrain), then re-record the lock."

    def check(self, ctx: RuleContext) -> Iterator[Finding]:
        run = ctx.run
        for note in run.notes:
            ctx.note(note, self.code)
        for drift in run.drifts:
            changes = drift.changes
            setting = ", ".join(c.field for c in changes) or None
            if drift.kind == "lock":
                where = f"adapter {drift.adapter!r} differs from its lock {drift.before}"
                hint = "Restore the locked values, or if the change is intended re-record the lock with `lora-lint lock`."
                if drift.old_scale != drift.new_scale:
                    hint += f" Scale at training {_scale(drift.old_scale)}, now {_scale(drift.new_scale)}."
            elif drift.kind == "final":
                where = f"{drift.after} differs from {drift.before}, its last checkpoint"
                hint = "Save the final adapter with the config it was trained with (or retrain)."
            else:
                where = f"{drift.after} differs from {drift.before} before it"
                hint = f"Resume from {drift.before} with its own adapter_config.json, or retrain from the start."
            yield self.finding(
                ctx,
                f"{where}: {drift.describe()}",
                adapter=drift.adapter,
                setting=setting,
                file=drift.file,
                hint=hint,
                evidence={
                    "kind": drift.kind,
                    "before": drift.before,
                    "after": drift.after,
                    "changes": {c.field: {"old": c.old, "new": c.new} for c in changes},
                    "old_scale": drift.old_scale,
                    "new_scale": drift.new_scale,
                    "shapes": list(drift.shapes),
                },
            )


def _scale(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.4g}"


@hookimpl
def lora_lint_register_rules(register: RegisterRule) -> None:
    register(AlphaChangedAfterTraining)
