"""LORA504 cases: reentrant checkpointing enabled on a wrapped ViT classifier, with and without input grads."""

from __future__ import annotations

from tests.rules.runner import hint_literal
from tests.tiny_models import vit_classifier, vit_qv

CODE = "LORA504"
#: the probe sees the encoder's adapters get no gradient
ALSO = {"LORA401"}


def _wrapped():
    from peft import LoraConfig, get_peft_model

    base = vit_classifier()
    config = LoraConfig(r=8, lora_alpha=16, target_modules=vit_qv(base), modules_to_save=["classifier"])
    return get_peft_model(base, config)


def bad(tmp_path):
    # transformers 5.x adds the input-grad hook itself only for input_ids models; peft only when
    # checkpointing is already on at get_peft_model.
    model = _wrapped()
    model.gradient_checkpointing_enable(gradient_checkpointing_kwargs={"use_reentrant": True})
    return model


def good(tmp_path):
    model = _wrapped()
    model.gradient_checkpointing_enable(gradient_checkpointing_kwargs={"use_reentrant": True})
    model.enable_input_require_grads()
    return model


def fixed(tmp_path, findings):
    model = _wrapped()
    kwargs = hint_literal(findings, r"gradient_checkpointing_kwargs=(\{[^}]*\})")
    model.gradient_checkpointing_enable(gradient_checkpointing_kwargs=kwargs)
    return model
