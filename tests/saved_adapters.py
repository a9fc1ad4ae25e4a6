"""Real saved adapters and training runs from tiny models, built once per test session.

Adapters are trained a few AdamW steps so ``lora_B`` is non-zero, then saved with peft's own
``save_pretrained``. Tests copy them (``copy_tree``) before changing anything on disk.
"""

from __future__ import annotations

import functools
import json
import shutil
from pathlib import Path
from typing import Any

import torch

from tests.session_cache import cache_dir
from tests.tiny_models import bert_classifier, llama, lora, saved_llama_dir


def _root() -> Path:
    return cache_dir("saved-adapters")


def train_steps(model: Any, steps: int = 3, lr: float = 1e-2, vocab: int = 128) -> Any:
    """A few real optimizer steps on random tokens (or random labels for a classifier)."""
    generator = torch.Generator().manual_seed(0)
    params = [p for p in model.parameters() if p.requires_grad]
    optimizer = torch.optim.AdamW(params, lr=lr)
    model.train()
    for _ in range(steps):
        ids = torch.randint(0, vocab, (2, 8), generator=generator)
        if hasattr(model.config, "num_labels") and "Classification" in type(model.get_base_model()).__name__:
            out = model(input_ids=ids, labels=torch.randint(0, model.config.num_labels, (2,), generator=generator))
        else:
            out = model(input_ids=ids, labels=ids)
        out.loss.backward()
        optimizer.step()
        optimizer.zero_grad()
    model.eval()
    return model


def write_trainer_state(folder: Path, step: int) -> None:
    (folder / "trainer_state.json").write_text(json.dumps({"global_step": step, "log_history": []}))


@functools.cache
def trained_llama(r: int = 8, alpha: int = 16, targets: tuple[str, ...] = ("q_proj", "v_proj")) -> Path:
    path = _root() / f"llama-r{r}-a{alpha}-{'-'.join(targets)}"
    model = train_steps(lora(llama(), r=r, lora_alpha=alpha, target_modules=list(targets)))
    model.save_pretrained(path)
    return path


@functools.cache
def untrained_llama() -> Path:
    path = _root() / "llama-untrained"
    lora(llama()).save_pretrained(path)
    return path


@functools.cache
def trained_bert_classifier() -> Path:
    """A SEQ_CLS adapter: peft saves the classifier head beside the LoRA tensors."""
    path = _root() / "bert-seq-cls"
    model = train_steps(lora(bert_classifier(), target_modules=["query", "value"], task_type="SEQ_CLS"))
    model.save_pretrained(path)
    return path


@functools.cache
def two_adapters() -> Path:
    """A PeftModel with a second adapter: peft writes it to a subfolder named after it."""
    from peft import LoraConfig

    path = _root() / "llama-two-adapters"
    model = lora(llama())
    model.add_adapter("other", LoraConfig(r=4, lora_alpha=8, target_modules=["k_proj"]))
    train_steps(model)
    model.set_adapter("other")
    train_steps(model)
    model.save_pretrained(path)
    return path


@functools.cache
def training_run(alphas: tuple[int, ...] = (16, 16), steps: tuple[int, ...] = (10, 20), final: bool = False) -> Path:
    """A Trainer-style run folder: ``checkpoint-<step>/`` adapters, each resumed from the one before.

    A different alpha at a checkpoint is what resuming with an edited ``LoraConfig`` writes: the
    previous checkpoint's weights loaded into a model built with the new config, trained further.
    """
    from peft.utils.save_and_load import get_peft_model_state_dict, set_peft_model_state_dict

    path = _root() / f"run-{'-'.join(map(str, alphas))}-{'-'.join(map(str, steps))}-{int(final)}"
    state = None
    model = None
    for alpha, step in zip(alphas, steps):
        model = lora(llama(), lora_alpha=alpha)
        if state is not None:
            set_peft_model_state_dict(model, state)
        train_steps(model, steps=2)
        state = get_peft_model_state_dict(model)
        folder = path / f"checkpoint-{step}"
        model.save_pretrained(folder)
        write_trainer_state(folder, step)
    if final and model is not None:
        model.save_pretrained(path)
    return path


def llama_base_dir() -> Path:
    """The tiny Llama base saved with its weights (config.json + model.safetensors)."""
    return saved_llama_dir()


def copy_tree(src: Path, dst: Path) -> Path:
    shutil.copytree(src, dst)
    return dst


def edit_config(folder: Path, **changes: Any) -> None:
    path = folder / "adapter_config.json"
    data = json.loads(path.read_text())
    data.update(changes)
    path.write_text(json.dumps(data, indent=2))


def rewrite_tensors(folder: Path, edit: Any) -> None:
    """Load the saved tensors, let ``edit(dict)`` change them, save them back (safetensors)."""
    from safetensors.torch import load_file, save_file

    path = folder / "adapter_model.safetensors"
    tensors = load_file(str(path))
    edit(tensors)
    save_file(tensors, str(path), metadata={"format": "pt"})


def bart_classifier(num_labels: int = 3) -> Any:
    """BART puts its head in ``classification_head``, a name peft's SEQ_CLS defaults do not cover."""
    from transformers import BartConfig, BartForSequenceClassification

    torch.manual_seed(0)
    cfg = BartConfig(
        d_model=32, encoder_layers=1, decoder_layers=1, encoder_attention_heads=2, decoder_attention_heads=2,
        encoder_ffn_dim=64, decoder_ffn_dim=64, vocab_size=64, max_position_embeddings=32, num_labels=num_labels,
    )  # fmt: skip
    return BartForSequenceClassification(cfg).eval()


@functools.cache
def bart_seq_cls(head_saved: bool = False, modules_to_save: tuple[str, ...] = ()) -> Path:
    """A real SEQ_CLS adapter on BART: without modules_to_save its trained head is not saved."""
    entries = ("classification_head",) if head_saved else modules_to_save
    path = _root() / f"bart-seq-cls-{'-'.join(entries) if modules_to_save else int(head_saved)}"
    extra = {"modules_to_save": list(entries)} if entries else {}
    model = lora(bart_classifier(), target_modules=["q_proj", "v_proj"], task_type="SEQ_CLS", **extra)
    ids = torch.tensor([[5, 6, 7, 8, 2], [9, 10, 11, 12, 2]])
    optimizer = torch.optim.AdamW([p for p in model.parameters() if p.requires_grad], lr=1e-2)
    for _ in range(2):
        model(input_ids=ids, labels=torch.tensor([0, 1])).loss.backward()
        optimizer.step()
        optimizer.zero_grad()
    model.save_pretrained(path)
    return path


@functools.cache
def compiled_llama() -> Path:
    """Wrapped after torch.compile: peft saves every path with the ``_orig_mod.`` of the compiled module."""
    path = _root() / "llama-compiled"
    model = lora(torch.compile(llama()))
    with torch.no_grad():
        for name, param in model.named_parameters():
            if "lora_B" in name:
                param.normal_(std=0.02)
    model.save_pretrained(path)
    return path
