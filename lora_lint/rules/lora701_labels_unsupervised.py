"""LORA701: rows of the real batch whose labels are all the ignore index (-100)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

from lora_lint.findings import Basis, Finding, Severity
from lora_lint.hookspecs import RegisterRule
from lora_lint.plugins import hookimpl
from lora_lint.rules._base import Needs, Rule

if TYPE_CHECKING:
    from lora_lint.context import RuleContext


class LabelsUnsupervised(Rule):
    """
    ## What it does
    Reports rows of the real training batch (the factory's batch, or a Trainer's first batch) whose
    labels are all the ignore index -100: an error when every row is, a warning with the count when
    some are. Only token labels (the shape of `input_ids`) are read.

    ## Why is this bad?
    A row without one supervised token adds nothing to the loss. When every row is masked the loss is
    empty (NaN, or 0 with some losses) and nothing trains, while the run looks healthy. The usual
    cause is a completion-only collator whose response marker (`### Answer:`, `<|assistant|>`) is not
    found in the tokenised text because the chat template writes it differently, so it masks the
    whole row; the next is truncation that cuts a row before its answer starts.

    ## Example
    ```python
    collator = DataCollatorForCompletionOnlyLM("### Answer:", tokenizer=tok)  # the template writes "<|assistant|>"
    ```

    ## Use instead
    ```python
    collator = DataCollatorForCompletionOnlyLM("<|assistant|>", tokenizer=tok)  # the marker the template writes
    ```
    """

    code = "LORA701"
    name = "labels-unsupervised"
    severity = Severity.ERROR
    needs = Needs.MODEL
    basis = Basis.WEIGHTS
    training_only = True
    hint = (
        "Make the collator's response marker match the chat template's (tokenise one example and look at "
        "its labels), and check that max_length leaves room for the answer."
    )

    def check(self, ctx: RuleContext) -> Iterator[Finding]:
        facts = ctx.supervision
        if facts is None or not facts.unsupervised_rows:
            return
        masked = len(facts.unsupervised_rows)
        evidence = {"rows": facts.rows, "unsupervised_rows": list(facts.unsupervised_rows), "supervised_tokens": facts.supervised}
        if masked == facts.rows:
            yield self.finding(
                ctx,
                f"every row of the batch ({masked} of {facts.rows}) has all its labels at -100: 0 of "
                f"{facts.positions} label positions are supervised, so the loss is empty and nothing trains "
                "(a chat template / collator mismatch masking the whole row?)",
                setting="labels",
                evidence=evidence,
            )
            return
        yield self.finding(
            ctx,
            f"{masked} of {facts.rows} rows ({masked / facts.rows:.0%}) have all their labels at -100 "
            f"(rows {', '.join(map(str, facts.unsupervised_rows[:5]))}); the batch supervises {facts.supervised} of "
            f"{facts.positions} positions ({facts.supervised / max(facts.positions, 1):.0%}): those rows add nothing to "
            "the loss (a response marker the collator does not find, or truncation before the answer?)",
            setting="labels",
            severity=Severity.WARNING,
            evidence=evidence,
        )


@hookimpl
def lora_lint_register_rules(register: RegisterRule) -> None:
    register(LabelsUnsupervised)
