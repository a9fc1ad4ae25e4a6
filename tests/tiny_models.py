"""Tiny real models built from configs (offline), shared by the tests.

Each builder returns a fresh model; saved copies (for loading code paths and bitsandbytes) are
written once per session under pytest's temporary root (tests/session_cache.py).
"""

from __future__ import annotations

import functools
import os
from pathlib import Path
from typing import Any

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_VERBOSITY", "error")

import torch  # noqa: E402
import torch.nn as nn  # noqa: E402

from tests.session_cache import cache_dir  # noqa: E402

SEED = 1234


def _seeded() -> None:
    torch.manual_seed(SEED)


#: The tiny Llama's sizes: the one home of its config, for the builders here and the factory files tests write
LLAMA_SIZES: dict[str, int] = dict(
    hidden_size=64,
    intermediate_size=128,
    num_hidden_layers=2,
    num_attention_heads=4,
    num_key_value_heads=2,
    vocab_size=128,
    max_position_embeddings=64,
)

#: ``tiny_llama_config()`` as source, for a factory file a test writes (its subprocess cannot import tests/)
LLAMA_CONFIG_SOURCE = f"""
def tiny_llama_config():
    from transformers import LlamaConfig

    return LlamaConfig(**{LLAMA_SIZES!r})
"""


def llama_config(**overrides: Any) -> Any:
    from transformers import LlamaConfig

    return LlamaConfig(**{**LLAMA_SIZES, **overrides})


def llama(**overrides: Any) -> Any:
    from transformers import LlamaForCausalLM

    _seeded()
    return LlamaForCausalLM(llama_config(**overrides)).eval()


def gpt2() -> Any:
    from transformers import GPT2Config, GPT2LMHeadModel

    _seeded()
    return GPT2LMHeadModel(GPT2Config(n_embd=64, n_layer=2, n_head=4, vocab_size=128, n_positions=64)).eval()


def bert_classifier(num_labels: int = 3) -> Any:
    from transformers import BertConfig, BertForSequenceClassification

    _seeded()
    cfg = BertConfig(
        hidden_size=64, num_hidden_layers=2, num_attention_heads=4, intermediate_size=128, vocab_size=128,
        max_position_embeddings=64, num_labels=num_labels,
    )
    return BertForSequenceClassification(cfg).eval()


def vit_classifier(num_labels: int = 3) -> Any:
    from transformers import ViTConfig, ViTForImageClassification

    _seeded()
    cfg = ViTConfig(
        hidden_size=64, num_hidden_layers=2, num_attention_heads=4, intermediate_size=128, image_size=32,
        patch_size=8, num_labels=num_labels,
    )
    return ViTForImageClassification(cfg).eval()


def vit_qv(model: Any) -> list[str]:
    """ViT's query/value projection names: q_proj/v_proj since transformers 5, query/value before."""
    names = {name.rsplit(".", 1)[-1] for name, _ in model.named_modules()}
    return ["q_proj", "v_proj"] if "q_proj" in names else ["query", "value"]


def t5() -> Any:
    from transformers import T5Config, T5ForConditionalGeneration

    _seeded()
    cfg = T5Config(
        d_model=64, d_kv=16, d_ff=128, num_layers=2, num_decoder_layers=2, num_heads=4, vocab_size=128,
        decoder_start_token_id=0, pad_token_id=0,
    )
    return T5ForConditionalGeneration(cfg).eval()


def distilbert_classifier(num_labels: int = 3) -> Any:
    """DistilBERT's head is ``pre_classifier`` + ``classifier``: a suffix match on "classifier" takes both."""
    from transformers import DistilBertConfig, DistilBertForSequenceClassification

    _seeded()
    cfg = DistilBertConfig(
        dim=64, hidden_dim=128, n_layers=2, n_heads=4, vocab_size=128, max_position_embeddings=64, num_labels=num_labels
    )
    return DistilBertForSequenceClassification(cfg).eval()


def moe_config(model_type: str = "mixtral", **overrides: Any) -> Any:
    """A tiny MoE config: 4 experts, 2 per token (transformers 5 fuses the experts into 3-D parameters)."""
    from transformers import AutoConfig

    values: dict[str, Any] = dict(
        hidden_size=64,
        intermediate_size=128,
        num_hidden_layers=2,
        num_attention_heads=4,
        num_key_value_heads=2,
        vocab_size=128,
        max_position_embeddings=64,
        num_experts_per_tok=2,
    )
    if model_type in ("qwen2_moe", "qwen3_moe"):
        values.update(num_experts=4, moe_intermediate_size=32)
        if model_type == "qwen2_moe":
            values.update(shared_expert_intermediate_size=64)
    else:
        values.update(num_local_experts=4)
    values.update(overrides)
    return AutoConfig.for_model(model_type, **values)


def moe(model_type: str = "mixtral", **overrides: Any) -> Any:
    """A tiny causal-LM MoE (Mixtral by default; also "qwen2_moe", "phimoe", "gpt_oss")."""
    from transformers import AutoModelForCausalLM

    _seeded()
    return AutoModelForCausalLM.from_config(moe_config(model_type, **overrides)).eval()


def llava() -> Any:
    """A tiny vision-language model: a CLIP vision tower and a Llama language model, both with ``q_proj``."""
    from transformers import CLIPVisionConfig, LlavaConfig, LlavaForConditionalGeneration

    _seeded()
    vision = CLIPVisionConfig(
        hidden_size=32, intermediate_size=64, num_hidden_layers=2, num_attention_heads=4, image_size=32, patch_size=8,
        projection_dim=32,
    )
    cfg = LlavaConfig(vision_config=vision, text_config=llama_config(), image_token_index=127)
    return LlavaForConditionalGeneration(cfg).eval()


def on_meta(build: Any, *args: Any, **kwargs: Any) -> Any:
    """Run a builder on the meta device: the module tree without weights, as ``--model DIR`` builds it."""
    with torch.device("meta"):
        return build(*args, **kwargs)


class MLP(nn.Module):
    """A plain custom module, the kind peft's own tests use."""

    def __init__(self) -> None:
        super().__init__()
        self.lin0 = nn.Linear(16, 32)
        self.relu = nn.ReLU()
        self.lin1 = nn.Linear(32, 32)
        self.lin2 = nn.Linear(32, 4)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.lin2(self.relu(self.lin1(self.relu(self.lin0(x)))))


def mlp() -> MLP:
    _seeded()
    return MLP().eval()


@functools.lru_cache(maxsize=None)
def saved_llama_dir() -> Path:
    """A tiny Llama saved with safetensors, for real loading and bitsandbytes quantisation."""
    path = cache_dir("tiny-models") / "llama"
    llama().save_pretrained(path)
    return path


def llama_kbit(bits: int, dtype: torch.dtype = torch.float32, folder: Path | None = None) -> Any:
    """The tiny Llama loaded through bitsandbytes in 8-bit or 4-bit, on CPU; ``dtype`` for the rest; from
    ``folder`` where a process outside the test session holds its path."""
    from transformers import AutoModelForCausalLM, BitsAndBytesConfig

    if bits == 8:
        quant = BitsAndBytesConfig(load_in_8bit=True)
    else:
        quant = BitsAndBytesConfig(load_in_4bit=True, bnb_4bit_compute_dtype=dtype)
    _seeded()
    folder = folder or saved_llama_dir()
    return AutoModelForCausalLM.from_pretrained(folder, quantization_config=quant, dtype=dtype).eval()


def lora(model: Any, **kwargs: Any) -> Any:
    """``get_peft_model`` with the seed configuration unless overridden."""
    from peft import LoraConfig, get_peft_model

    values: dict[str, Any] = dict(
        r=8, lora_alpha=16, target_modules=["q_proj", "v_proj"], lora_dropout=0.05, bias="none", task_type="CAUSAL_LM"
    )
    if type(model).__name__.startswith("ViT"):
        values["target_modules"] = vit_qv(model)  # the same projections under transformers 4.x and 5.x names
    values.update(kwargs)
    _seeded()
    return get_peft_model(model, LoraConfig(**values))


def llama_4bit_stored(storage: str | None) -> Any:
    """The tiny Llama in bitsandbytes 4-bit NF4 on CPU, float32 elsewhere; ``storage`` the packed data's dtype."""
    from transformers import AutoModelForCausalLM, BitsAndBytesConfig

    extra = {} if storage is None else {"bnb_4bit_quant_storage": getattr(torch, storage)}
    quant = BitsAndBytesConfig(load_in_4bit=True, bnb_4bit_quant_type="nf4", bnb_4bit_compute_dtype=torch.float32, **extra)
    _seeded()
    return AutoModelForCausalLM.from_pretrained(saved_llama_dir(), quantization_config=quant, dtype=torch.float32).eval()


def dispatched_llama(offload: Path, split: bool) -> Any:
    """The tiny Llama loaded with a device_map: its last decoder layer offloaded to disk (``split``) or all on cpu."""
    from transformers import AutoModelForCausalLM

    device_map: Any = {"": "cpu"}
    if split:
        names = ("model.embed_tokens", "model.layers.0", "model.norm", "model.rotary_emb", "lm_head")
        device_map = {**{n: "cpu" for n in names}, "model.layers.1": "disk"}
    _seeded()
    return AutoModelForCausalLM.from_pretrained(
        saved_llama_dir(), device_map=device_map, offload_folder=str(offload / "offload"), dtype=torch.float32
    ).eval()
