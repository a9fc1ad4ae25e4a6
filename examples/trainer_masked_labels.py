"""A chat template / collator mismatch: the template writes the answer after <bot>, the collator looks for
<assistant>, finds it in no row, and masks every label. LORA701; the probe notes that it has nothing to judge.

    lora-lint check examples/trainer_masked_labels.py:build
"""

from __future__ import annotations

from _chat import CompletionOnlyCollator, chat_tokenizer, chat_trainer


def build():
    tok = chat_tokenizer()
    return chat_trainer(tok, CompletionOnlyCollator(tok, response_marker="<assistant>"))
