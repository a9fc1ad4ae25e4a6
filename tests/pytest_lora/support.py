"""The tiny-model module that the plugin tests write into each pytester folder."""

from __future__ import annotations

import textwrap

from tests.tiny_models import LLAMA_CONFIG_SOURCE

#: Written as ``lora_models.py`` into the pytester folder: the inner test sessions import it.
LORA_MODELS = textwrap.dedent(
    '''
    """Tiny LoRA setups (hidden 64, 2 layers) for inner pytest sessions."""
    import torch
    from peft import LoraConfig, get_peft_model
    from transformers import LlamaForCausalLM


    def base():
        torch.manual_seed(0)
        return LlamaForCausalLM(tiny_llama_config()).eval()


    def model(**overrides):
        values = dict(r=8, lora_alpha=16, target_modules=["q_proj", "v_proj"], lora_dropout=0.0, task_type="CAUSAL_LM")
        values.update(overrides)
        return get_peft_model(base(), LoraConfig(**values))


    def batch():
        ids = torch.randint(0, 128, (2, 8), generator=torch.Generator().manual_seed(0))
        return {"input_ids": ids, "labels": ids}
    '''
) + LLAMA_CONFIG_SOURCE
