"""LORA703: rows that reach the maximum length supervised up to the last position, with no EOS."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

from lora_lint.findings import Basis, Finding, Severity
from lora_lint.hookspecs import RegisterRule
from lora_lint.plugins import hookimpl
from lora_lint.rules._base import Needs, Rule

if TYPE_CHECKING:
    from lora_lint.context import RuleContext


class ResponseTruncated(Rule):
    """
    ## What it does
    Reports rows of the real batch that fill the configured maximum length (`max_length` of the
    arguments, else the tokenizer's `model_max_length`), are supervised up to the last position and hold
    no EOS token. Without a known maximum length the rule stays quiet.

    ## Why is this bad?
    Such a row was cut by truncation in the middle of its answer: the model is trained on answers
    that stop mid-sentence and never on their end, and the cut part of the data is silently lost.
    With many such rows the maximum length is too small for the data.

    ## Example
    ```python
    SFTConfig(max_length=128)  # answers run to 400 tokens
    ```

    ## Use instead
    ```python
    SFTConfig(max_length=512)  # or filter/split the long examples
    ```
    """

    code = "LORA703"
    name = "response-truncated"
    severity = Severity.WARNING
    needs = Needs.MODEL
    basis = Basis.WEIGHTS
    training_only = True
    hint = "Raise max_length to fit the answers, or drop or split the long examples before training."

    def check(self, ctx: RuleContext) -> Iterator[Finding]:
        facts = ctx.supervision
        if facts is None or not facts.truncated_rows:
            return
        cut = len(facts.truncated_rows)
        yield self.finding(
            ctx,
            f"{cut} of {facts.rows} rows ({cut / facts.rows:.0%}) reach max_length {facts.max_length} with supervised "
            "tokens up to the last position and no EOS: truncation cut their answers",
            setting="max_length",
            evidence={"rows": facts.rows, "truncated_rows": list(facts.truncated_rows), "max_length": facts.max_length},
        )


@hookimpl
def lora_lint_register_rules(register: RegisterRule) -> None:
    register(ResponseTruncated)
