"""LORA702: the pad token is the EOS token and no EOS position of the batch is supervised."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

from lora_lint.findings import Basis, Finding, Severity
from lora_lint.hookspecs import RegisterRule
from lora_lint.plugins import hookimpl
from lora_lint.rules._base import Needs, Rule

if TYPE_CHECKING:
    from lora_lint.context import RuleContext


class EosUnsupervised(Rule):
    """
    ## What it does
    Reports a real batch in which the pad token is the EOS token and no supervised label anywhere is
    the EOS token. Pad and EOS ids come from the tokenizer, else the model's config or generation config.

    ## Why is this bad?
    `tokenizer.pad_token = tokenizer.eos_token` is the common fix for a tokenizer without a pad token.
    A collator that then masks every pad id with -100 (as `DataCollatorForLanguageModeling` does) also
    masks the real EOS at the end of each answer: the model never sees a supervised EOS and learns
    never to stop, so generation runs on to `max_new_tokens`.

    ## Example
    ```python
    tokenizer.pad_token = tokenizer.eos_token
    collator = DataCollatorForLanguageModeling(tokenizer, mlm=False)
    ```

    ## Use instead
    ```python
    tokenizer.add_special_tokens({"pad_token": "<pad>"})  # or a reserved token; resize the embeddings
    collator = DataCollatorForLanguageModeling(tokenizer, mlm=False)
    ```
    """

    code = "LORA702"
    name = "eos-unsupervised"
    severity = Severity.WARNING
    needs = Needs.MODEL
    basis = Basis.WEIGHTS
    training_only = True
    hint = "Give the tokenizer a pad token other than EOS, or mask pads by attention_mask, not by token id."

    def check(self, ctx: RuleContext) -> Iterator[Finding]:
        facts = ctx.supervision
        if facts is None or not facts.pad_is_eos or facts.eos_supervised or not facts.supervised:
            return
        yield self.finding(
            ctx,
            f"the pad token is the EOS token (id {facts.ids.pad}, from the {facts.ids.source}) and none of the batch's "
            f"{facts.supervised} supervised tokens in {facts.rows} rows is EOS: the collator masks every pad, so it "
            "masks the real EOS too and the model never learns to stop (pad_token = eos_token)",
            setting="pad_token",
            evidence={"pad_token_id": facts.ids.pad, "eos_token_ids": list(facts.ids.eos), "supervised_tokens": facts.supervised},
        )


@hookimpl
def lora_lint_register_rules(register: RegisterRule) -> None:
    register(EosUnsupervised)
