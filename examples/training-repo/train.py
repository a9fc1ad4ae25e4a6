"""A miniature LoRA fine-tuning script: a tiny Llama, a LoraConfig, a few optimizer steps."""

from __future__ import annotations

import torch
from peft import LoraConfig, PeftModel, get_peft_model
from transformers import LlamaConfig, LlamaForCausalLM

#: The setup under test: which layers get adapters, at what rank and scale.
LORA = LoraConfig(
    r=8,
    lora_alpha=16,
    target_modules=["q_proj", "k_proj", "v_proj", "o_proj"],
    lora_dropout=0.05,
    task_type="CAUSAL_LM",
)


def build_base() -> LlamaForCausalLM:
    """A real (randomly initialised) Llama small enough for a unit test: hidden 64, 2 layers."""
    torch.manual_seed(0)
    config = LlamaConfig(
        hidden_size=64,
        intermediate_size=128,
        num_hidden_layers=2,
        num_attention_heads=4,
        num_key_value_heads=2,
        vocab_size=128,
        max_position_embeddings=64,
    )
    return LlamaForCausalLM(config)


def make_batch(size: int = 2, length: int = 16) -> dict[str, torch.Tensor]:
    """Random token ids standing in for the data loader's first batch."""
    ids = torch.randint(0, 128, (size, length), generator=torch.Generator().manual_seed(0))
    return {"input_ids": ids, "attention_mask": torch.ones_like(ids), "labels": ids}


def build() -> tuple[PeftModel, dict[str, torch.Tensor]]:
    """The model exactly as training gets it, and one batch: what the tests and lora-lint check."""
    return get_peft_model(build_base(), LORA), make_batch()


def main(steps: int = 3, out: str = "adapter") -> None:
    model, batch = build()
    model.train()
    optimizer = torch.optim.AdamW([p for p in model.parameters() if p.requires_grad], lr=1e-3)
    for step in range(steps):
        loss = model(**batch).loss
        loss.backward()
        optimizer.step()
        optimizer.zero_grad()
        print(f"step {step}: loss {loss.item():.4f}")
    model.save_pretrained(out)


if __name__ == "__main__":
    main()
