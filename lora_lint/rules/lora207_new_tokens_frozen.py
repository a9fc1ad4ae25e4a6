"""LORA207: tokens were added to the vocabulary but neither the embeddings nor the output head can learn them."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

from lora_lint.findings import Basis, Finding, Severity
from lora_lint.hookspecs import RegisterRule
from lora_lint.plugins import hookimpl
from lora_lint.rules._base import Needs, Rule
from lora_lint.wording import plural, verb

if TYPE_CHECKING:
    from lora_lint.context import RuleContext


class NewTokensFrozen(Rule):
    """
    ## What it does
    Reports tokens added to the vocabulary that neither the embeddings nor the output head can learn.
    It compares the embedding matrix with the vocabulary of the checkpoint the base model was loaded
    from (its `config.json`, read from the local folder or the Hugging Face cache). When rows were
    added (`resize_token_embeddings` after adding tokens) and neither the input embeddings nor the
    output head can train them (no `trainable_token_indices` covering them, no `modules_to_save`,
    no LoRA on them), it reports the new token ids.

    ## Why is this bad?
    The new rows keep their random (or mean) initialisation: the model cannot learn what the new
    tokens mean, and since the resized matrices are not saved with the adapter, a reloaded
    base has different rows for them anyway.

    ## Example
    ```python
    tokenizer.add_special_tokens({"additional_special_tokens": ["<tool>", "</tool>"]})
    base.resize_token_embeddings(len(tokenizer))
    model = get_peft_model(base, LoraConfig(target_modules=["q_proj", "v_proj"]))
    ```

    ## Use instead
    ```python
    new_ids = tokenizer.convert_tokens_to_ids(["<tool>", "</tool>"])
    model = get_peft_model(base, LoraConfig(target_modules=["q_proj", "v_proj"],
                                            trainable_token_indices={"embed_tokens": new_ids}))
    # or modules_to_save=["embed_tokens", "lm_head"]
    ```
    """

    code = "LORA207"
    name = "new-tokens-frozen"
    severity = Severity.ERROR
    needs = Needs.MODEL
    basis = Basis.STRUCTURE
    hint = "Train the new rows: trainable_token_indices with the new token ids, or modules_to_save=[embeddings, head]."

    def check(self, ctx: RuleContext) -> Iterator[Finding]:
        vocab = ctx.params.vocab
        if vocab is None or not vocab.new_rows:
            return
        new = vocab.new_rows
        # rows learn through modules_to_save, LoRA or plain requires_grad on either side (the latter is LORA201's)
        if {vocab.embedding_trains, vocab.head_trains} - {None, "trainable_tokens"}:
            return
        uncovered = [i for i in new if i not in set(vocab.token_indices)]
        if not uncovered:
            return
        covered = len(new) - len(uncovered)
        emb = vocab.embedding or "the input embeddings"
        short_emb = emb.rsplit(".", 1)[-1]
        short_head = (vocab.head or "lm_head").rsplit(".", 1)[-1]
        added = f"{plural(len(new), 'token')} {verb(len(new), 'was')} added (ids {_ranges(list(new))})"
        if covered:
            added += f" and trainable_token_indices covers only {covered} of them: ids {_ranges(uncovered)}"
        else:
            added += " and their rows"
        yield self.finding(
            ctx,
            f"{emb} has {vocab.embedding_rows} rows but the checkpoint's vocabulary has {vocab.checkpoint_vocab} "
            f"(from {vocab.checkpoint_source}): {added} cannot train in {emb} or {vocab.head or 'the output head'}, "
            "so they keep their initial random values",
            module=emb,
            hint=f"Add trainable_token_indices={{{short_emb!r}: {_as_python(uncovered)}}} to LoraConfig, or "
            f"modules_to_save=[{short_emb!r}, {short_head!r}].",
            evidence={
                "checkpoint_vocab": vocab.checkpoint_vocab,
                "embedding_rows": vocab.embedding_rows,
                "uncovered_ids": uncovered,
            },
        )


def _as_python(ids: list[int]) -> str:
    if ids == list(range(ids[0], ids[-1] + 1)):
        return f"list(range({ids[0]}, {ids[-1] + 1}))"
    return repr(ids)


def _ranges(ids: list[int]) -> str:
    """``[128, 129, 130, 140]`` -> ``"128-130, 140"``."""
    parts: list[str] = []
    start = prev = None
    for i in ids:
        if start is None:
            start = prev = i
        elif prev is not None and i == prev + 1:
            prev = i
        else:
            parts.append(f"{start}-{prev}" if start != prev else str(start))
            start = prev = i
    if start is not None:
        parts.append(f"{start}-{prev}" if start != prev else str(start))
    return ", ".join(parts)


@hookimpl
def lora_lint_register_rules(register: RegisterRule) -> None:
    register(NewTokensFrozen)
