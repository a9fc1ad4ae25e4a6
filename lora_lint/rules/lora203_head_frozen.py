"""LORA203: a task head the base initialises fresh is frozen and not saved with the adapter."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

from lora_lint.findings import Basis, Finding, Severity
from lora_lint.hookspecs import RegisterRule
from lora_lint.plugins import hookimpl
from lora_lint.rules._base import Needs, Rule

if TYPE_CHECKING:
    from lora_lint.context import RuleContext

#: peft task types whose PeftModel class adds the head to modules_to_save
_TASK_TYPES = {
    "ForSequenceClassification": "SEQ_CLS",
    "ForTokenClassification": "TOKEN_CLS",
    "ForQuestionAnswering": "QUESTION_ANS",
}


class HeadFrozen(Rule):
    """
    ## What it does
    Reports a freshly initialised task head that is frozen and not saved with the adapter. It looks
    at the heads of `*ForSequenceClassification`, `*ForTokenClassification`, `*ForQuestionAnswering`,
    `*ForImageClassification` and `*ForAudioClassification` models (`classifier`, `score`,
    `qa_outputs`, ...) when the checkpoint was not of that task, so transformers initialised the head
    randomly, and the head is frozen and not in `modules_to_save`.

    ## Why is this bad?
    The model learns to feed features into a random projection that never changes, and
    `save_pretrained` does not save that projection: loaded again, the adapter sits on a different
    random head and predicts garbage. Wrapping without `task_type` is the usual cause, because only
    the task-specific PeftModel classes add the head to `modules_to_save`.

    ## Example
    ```python
    base = AutoModelForSequenceClassification.from_pretrained("bert-base-uncased", num_labels=3)
    model = get_peft_model(base, LoraConfig(target_modules=["query", "value"]))
    ```

    ## Use instead
    ```python
    model = get_peft_model(base, LoraConfig(task_type="SEQ_CLS", target_modules=["query", "value"]))
    # or LoraConfig(..., modules_to_save=["classifier"]) for image/audio classifiers
    ```
    """

    code = "LORA203"
    name = "head-frozen"
    severity = Severity.ERROR
    needs = Needs.MODEL
    basis = Basis.STRUCTURE
    hint = 'Pass task_type (e.g. "SEQ_CLS") to LoraConfig, or add the head to modules_to_save.'

    def check(self, ctx: RuleContext) -> Iterator[Finding]:
        for head in ctx.params.heads:
            if not head.fresh or head.saved or head.trainable and not head.lora:
                # a trainable undeclared head is a base leak (LORA201); a saved one trains and is kept
                continue
            suffix = next((s for s in _TASK_TYPES if head.architecture.endswith(s)), None)
            task = _TASK_TYPES.get(suffix or "")
            fix = f'task_type="{task}" or ' if task else ""
            source = (
                f"the checkpoint is {head.checkpoint_architecture}"
                if head.checkpoint_architecture
                else "no checkpoint of this task was loaded"
            )
            how = (
                "only gets a LoRA update: its random base weights are frozen and not saved"
                if head.lora
                else "is frozen and not in modules_to_save"
            )
            yield self.finding(
                ctx,
                f"{head.architecture} initialises {head.key!r} randomly ({source}) and it {how}: the model trains "
                "against a random head that save_pretrained does not keep, so the reloaded adapter predicts garbage",
                module=head.key,
                hint=f"Use {fix}modules_to_save=[{head.key!r}] in LoraConfig so the head trains and is saved.",
                evidence={"head": head.key, "architecture": head.architecture, "lora_on_head": head.lora},
            )


@hookimpl
def lora_lint_register_rules(register: RegisterRule) -> None:
    register(HeadFrozen)
