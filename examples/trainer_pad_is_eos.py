"""pad_token = eos_token with a collator that masks every pad id: the answers' EOS is masked too, so the
model never learns to stop. LORA702.

    lora-lint check examples/trainer_pad_is_eos.py:build
"""

from __future__ import annotations

from _chat import CompletionOnlyCollator, chat_tokenizer, chat_trainer


def build():
    tok = chat_tokenizer(pad_token="<eos>")
    return chat_trainer(tok, CompletionOnlyCollator(tok, response_marker="<bot>"))
