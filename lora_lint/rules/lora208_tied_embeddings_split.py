"""LORA208: a model ties its input and output embeddings and the adapter trains or saves one side only."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

from lora_lint.findings import Basis, Finding, Severity
from lora_lint.hookspecs import RegisterRule
from lora_lint.plugins import hookimpl
from lora_lint.rules._base import Needs, Rule

if TYPE_CHECKING:
    from lora_lint.context import RuleContext


class TiedEmbeddingsSplit(Rule):
    """
    ## What it does
    Reports a model whose config ties the input and output embeddings (`tie_word_embeddings`, with the
    pair in the class's `_tied_weights_keys`) when an adapter config puts only one of them in
    `modules_to_save` or `target_modules` (e.g. `modules_to_save=["lm_head"]`), on a live model, a config
    checked against `--model`, and a merged folder whose config says tied but whose `lm_head` and input
    embedding tensors differ. A config with `ensure_weight_tying=True` is accepted when the installed peft
    knows that option.

    ## Why is this bad?
    peft copies (or adapts) the named side only: training unties the pair, the saved adapter holds one
    side, and on reload transformers ties them again, so one of the two trained versions is silently
    dropped. A merged tied model whose two tensors differ collapses to one of them when it is loaded.

    ## Example
    ```python
    LoraConfig(target_modules=["q_proj", "v_proj"], modules_to_save=["lm_head"])   # tie_word_embeddings=True
    ```

    ## Use instead
    ```python
    LoraConfig(target_modules=["q_proj", "v_proj"], modules_to_save=["lm_head", "embed_tokens"],
               ensure_weight_tying=True)   # peft >= 0.18 keeps the pair tied
    ```
    """

    code = "LORA208"
    name = "tied-embeddings-split"
    severity = Severity.ERROR
    needs = Needs.NONE
    basis = Basis.CONFIG
    hint = (
        "Name both sides of the tied pair with ensure_weight_tying=True (peft >= 0.18), or neither; or untie the "
        "model on purpose (config.tie_word_embeddings=False) before training."
    )

    def check(self, ctx: RuleContext) -> Iterator[Finding]:
        facts = ctx.tied
        if facts is None or not facts.tied:
            return
        for split in facts.splits:
            if split.how == "merged":
                message = (
                    f"the config ties {split.side} to {split.other}, but this merged folder holds two different "
                    f"tensors: loading it ties them again and drops one"
                )
                hint = "Save the merged model untied (config.tie_word_embeddings=False) or merge both sides alike."
            else:
                upgrade = "" if facts.peft_keeps_ties else " (the installed peft has no ensure_weight_tying; upgrade to >= 0.18)"
                message = (
                    f"{split.side} is tied to {split.other}, but adapter {split.adapter!r} names only {split.side} in "
                    f"{split.how}: training unties the pair and a reload drops one side{upgrade}"
                )
                hint = None
            yield self.finding(
                ctx, message, module=split.side, adapter=split.adapter, setting=None if split.how == "merged" else split.how,
                hint=hint, evidence={"side": split.side, "other": split.other, "how": split.how},
            )


@hookimpl
def lora_lint_register_rules(register: RegisterRule) -> None:
    register(TiedEmbeddingsSplit)
