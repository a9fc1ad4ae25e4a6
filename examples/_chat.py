"""A real chat tokenizer built offline (WordLevel trained in memory) and a tiny Trainer for the Trainer examples."""

from __future__ import annotations

import tempfile

import torch
from _tiny import seed_lora_config, tiny_llama
from peft import get_peft_model

CHATS = [
    ("what is two plus two", "two plus two is four"),
    ("name a colour of the sky", "the sky is blue"),
    ("how many legs has a cat", "a cat has four legs"),
    ("where did the dog run", "a dog ran in the park"),
]
#: the template writes the assistant's turn after <bot>
TEMPLATE = (
    "{% for m in messages %}{% if m['role'] == 'user' %}<user> {{ m['content'] }} "
    "{% else %}<bot> {{ m['content'] }} <eos> {% endif %}{% endfor %}"
)


def chat_tokenizer(pad_token: str = "<pad>"):
    from tokenizers import Tokenizer, models, pre_tokenizers, trainers
    from transformers import PreTrainedTokenizerFast

    raw = Tokenizer(models.WordLevel(unk_token="<unk>"))
    raw.pre_tokenizer = pre_tokenizers.WhitespaceSplit()
    specials = ["<pad>", "<eos>", "<unk>", "<user>", "<bot>", "<assistant>"]
    raw.train_from_iterator([t for chat in CHATS for t in chat], trainers.WordLevelTrainer(special_tokens=specials))
    tok = PreTrainedTokenizerFast(tokenizer_object=raw, unk_token="<unk>", eos_token="<eos>", pad_token=pad_token)
    tok.chat_template = TEMPLATE
    tok.model_max_length = 32
    return tok


def chat_rows(tok):
    rows = []
    for question, answer in CHATS:
        messages = [{"role": "user", "content": question}, {"role": "assistant", "content": answer}]
        rows.append({"input_ids": tok(tok.apply_chat_template(messages, tokenize=False), add_special_tokens=False)["input_ids"]})
    return rows


class CompletionOnlyCollator:
    """Pads, and supervises only what follows the response marker; a row without the marker is masked whole."""

    def __init__(self, tok, response_marker: str):
        self.pad = tok.pad_token_id
        self.marker = tok.convert_tokens_to_ids(response_marker)

    def __call__(self, rows):
        width = max(len(r["input_ids"]) for r in rows)
        ids = torch.full((len(rows), width), self.pad)
        mask = torch.zeros((len(rows), width), dtype=torch.long)
        for i, r in enumerate(rows):
            ids[i, : len(r["input_ids"])] = torch.tensor(r["input_ids"])
            mask[i, : len(r["input_ids"])] = 1
        labels = torch.full_like(ids, -100)
        for i in range(len(rows)):
            where = (ids[i] == self.marker).nonzero()
            if len(where):
                start = int(where[0]) + 1
                labels[i, start:] = ids[i, start:]
        labels = labels.masked_fill(ids == self.pad, -100)  # every pad id masked (also an EOS that is the pad)
        return {"input_ids": ids, "attention_mask": mask, "labels": labels}


def chat_trainer(tok, collator):
    from torch.utils.data import Dataset
    from transformers import Trainer, TrainingArguments

    class Rows(Dataset):
        def __init__(self, rows):
            self.rows = rows

        def __len__(self):
            return len(self.rows)

        def __getitem__(self, i):
            return self.rows[i]

    model = get_peft_model(tiny_llama(), seed_lora_config())
    args = TrainingArguments(
        output_dir=tempfile.mkdtemp(prefix="lora-lint-example-"), per_device_train_batch_size=2, max_steps=3,
        use_cpu=True, report_to=[], save_strategy="no", remove_unused_columns=False,
    )
    return Trainer(model=model, args=args, train_dataset=Rows(chat_rows(tok)), data_collator=collator, processing_class=tok)
