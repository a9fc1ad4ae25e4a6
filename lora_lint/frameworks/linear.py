"""Each framework's "all linear layers" expansion, computed on the built base model (names, not modules)."""

from __future__ import annotations

from typing import Any

from lora_lint.frameworks.spec import AllLinear


def linear_names(model: Any, rule: AllLinear) -> list[str]:
    """The last names of the linear layers the framework targets, sorted (the framework uses a set).

    A layer counts as linear when its class name says ``Linear``: both frameworks test the name so that
    bitsandbytes' ``Linear4bit``/``Linear8bitLt`` and GPTQ's ``QuantLinear`` count as well. axolotl also
    counts any ``nn.Linear`` subclass and skips only ``LlamaLinearScalingRotaryEmbedding`` by name;
    LLaMA-Factory skips every class whose name says ``Embedding``.
    """
    from torch import nn

    model_type = str(getattr(getattr(model, "config", None), "model_type", "") or "")
    per_type = tuple(rule.by_model_type.get(model_type, ()))
    # axolotl drops the output embedding of this model type (by name); LLaMA-Factory adds substrings
    skip_names = set(per_type or rule.skip_names) if rule.skip_names else set()
    skip_substrings = rule.skip_substrings + (per_type if rule.skip_substrings else ())
    names: set[str] = set()
    for path, module in model.named_modules():
        cls = type(module).__name__
        linear = "Linear" in cls or (rule.linear_subclasses and isinstance(module, nn.Linear))
        if not linear or cls in rule.skip_classes:
            continue
        if rule.skip_embedding_classes and "Embedding" in cls:
            continue
        if any(part in path for part in skip_substrings):
            continue
        names.add(path.split(".")[-1])
    return sorted(names - skip_names)
