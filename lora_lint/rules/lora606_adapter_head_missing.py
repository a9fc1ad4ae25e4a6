"""LORA606: a classification adapter saved without the task head it trained."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

from lora_lint.findings import Basis, Finding, Severity
from lora_lint.hookspecs import RegisterRule
from lora_lint.plugins import hookimpl
from lora_lint.rules._base import Needs, Rule

if TYPE_CHECKING:
    from lora_lint.context import RuleContext


class AdapterHeadMissing(Rule):
    """
    ## What it does
    For a classification adapter (by `task_type` SEQ_CLS / TOKEN_CLS / QUESTION_ANS, or a base model
    whose class puts a fresh head on its backbone, e.g. `*ForSequenceClassification`), checks that the
    adapter file holds the head's weights. With `--model` the head is the base class's own head module
    (`classifier`, `score`, `classification_head`, ...); without it, the names in `modules_to_save` and
    peft's defaults for the task.

    ## Why is this bad?
    The head of a `*ForSequenceClassification` model is initialised randomly when the model is built.
    peft saves it only if it is in `modules_to_save`; for SEQ_CLS it adds `classifier` and `score` by
    itself, which misses heads with other names (BART's `classification_head`). The adapter then
    loads onto a random head and predicts noise, although training went well.

    ## Example
    ```python
    model = BartForSequenceClassification.from_pretrained("facebook/bart-base", num_labels=3)
    peft_model = get_peft_model(model, LoraConfig(task_type="SEQ_CLS", target_modules=["q_proj", "v_proj"]))
    ```

    ## Use instead
    ```python
    peft_model = get_peft_model(model, LoraConfig(task_type="SEQ_CLS", target_modules=["q_proj", "v_proj"],
                                                  modules_to_save=["classification_head"]))
    ```
    """

    code = "LORA606"
    name = "adapter-head-missing"
    severity = Severity.ERROR
    needs = Needs.ARTIFACT
    basis = Basis.STRUCTURE
    hint = "Add the head to modules_to_save, retrain (or re-save the trained model), and check again."

    def check(self, ctx: RuleContext) -> Iterator[Finding]:
        for adapter in ctx.artifacts:
            head = ctx.saved_heads.get(adapter.name)
            if head is None or head.saved:
                continue
            names = ", ".join(head.heads)
            extra = ""
            if head.peft_defaults and not set(head.heads) & set(head.peft_defaults):
                extra = f" (peft adds only {', '.join(head.peft_defaults)} by itself for this task)"
            yield self.finding(
                ctx,
                f"adapter {adapter.name!r} is a classification adapter ({head.reason}) but its file holds no "
                f"weights for the head {names}{extra}: loading it gives a freshly initialised, random head",
                adapter=adapter.name,
                setting=f"modules_to_save: {adapter.config.get('modules_to_save')!r}",
                file=adapter.file,
                hint=_hint(head.heads) if head.named_by_base else _UNNAMED_HINT,
                evidence={"heads": list(head.heads), "reason": head.reason},
            )


#: without the base, the names lora-lint knows are the ones this file already lacks: asking for them fixes nothing
_UNNAMED_HINT = (
    "Add the head's own module name to modules_to_save (check again with --model BASE to have it named), "
    "train again, and check again."
)


def _hint(heads: tuple[str, ...]) -> str:
    return f"Add modules_to_save=[{', '.join(repr(h) for h in heads)}] to the LoraConfig and train again."


@hookimpl
def lora_lint_register_rules(register: RegisterRule) -> None:
    register(AdapterHeadMissing)
