"""LORA706: the Trainer drops labels or inputs the model needs."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import TYPE_CHECKING

from lora_lint.findings import Basis, Finding, Severity
from lora_lint.hookspecs import RegisterRule
from lora_lint.plugins import hookimpl
from lora_lint.rules._base import Needs, Rule
from lora_lint.text import shorten

if TYPE_CHECKING:
    from lora_lint.context import RuleContext

#: keys transformers' models take as labels
_LABEL_KEYS = ("labels", "label", "label_ids", "start_positions", "end_positions")


class TrainerDropsInputs(Rule):
    """
    ## What it does
    Reports a Trainer target that would drop what the model needs: `remove_unused_columns=True`
    removing dataset columns the collator reads (so the first batch cannot be built), or label names
    the Trainer cannot infer from the model's `forward` (a wrapper with `forward(*args, **kwargs)`)
    while an evaluation is configured and the batch carries labels.

    ## Why is this bad?
    The Trainer keeps only the columns named in the forward signature of the model it inspects (the
    base model under peft). A collator that tokenises a `text` or `messages` column then receives rows
    without it and fails, or a model wrapper hides every argument. With empty `label_names` the
    evaluation computes no `eval_loss` and hands `compute_metrics` no labels, so
    `load_best_model_at_end` and early stopping quietly stop working.

    ## Example
    ```python
    TrainingArguments(..., remove_unused_columns=True)  # the collator tokenises the "text" column
    ```

    ## Use instead
    ```python
    TrainingArguments(..., remove_unused_columns=False, label_names=["labels"])
    ```
    """

    code = "LORA706"
    name = "trainer-drops-inputs"
    severity = Severity.ERROR
    needs = Needs.MODEL
    basis = Basis.STRUCTURE
    training_only = True
    hint = "Set remove_unused_columns=False when the collator reads raw columns, and label_names=['labels'] for a wrapped model."

    def check(self, ctx: RuleContext) -> Iterator[Finding]:
        inputs = ctx.setup.trainer_inputs
        if inputs is None:
            return
        if inputs.batch_error is not None:
            yield self.finding(
                ctx,
                f"remove_unused_columns=True drops {shorten(inputs.removed_columns, 4)} from the train dataset "
                f"({inputs.inspected}.forward does not name them), and the first batch then fails: {inputs.batch_error}",
                setting="remove_unused_columns",
                evidence={"removed_columns": list(inputs.removed_columns), "error": inputs.batch_error},
            )
        batch = ctx.setup.batch
        carried = [k for k in _LABEL_KEYS if isinstance(batch, Mapping) and k in batch]
        if carried and not inputs.label_names and inputs.evaluates:
            yield self.finding(
                ctx,
                f"the {inputs.trainer_type} found no label names in {inputs.inspected}.forward and none are given, while "
                f"the batch carries {', '.join(carried)}: evaluation computes no eval_loss and passes no labels to "
                "compute_metrics",
                setting="label_names",
                hint=f"Pass label_names={carried!r} in the TrainingArguments.",
                evidence={"batch_label_keys": carried},
            )


@hookimpl
def lora_lint_register_rules(register: RegisterRule) -> None:
    register(TrainerDropsInputs)
