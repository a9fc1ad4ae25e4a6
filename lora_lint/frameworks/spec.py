"""What a framework config asks for: the LoraConfig kwargs, the base, the quantisation, where each key sits."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class AllLinear:
    """The framework's own "every linear layer" expansion, resolved on the built base model.

    ``skip_substrings``: a module whose dotted path contains one of these is left out (LLaMA-Factory);
    ``skip_names``: a last path component left out (axolotl drops the output embedding by name).
    ``output_names``: model_type -> the output head's name, when it is not ``lm_head``.
    """

    skip_substrings: tuple[str, ...] = ()
    skip_names: tuple[str, ...] = ()
    by_model_type: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    #: the framework skips classes whose name says Embedding even if they say Linear
    skip_embedding_classes: bool = False
    #: class names the framework skips by exact name although they say Linear
    skip_classes: tuple[str, ...] = ()
    #: an ``nn.Linear`` subclass counts even when its class name does not say Linear (axolotl's isinstance)
    linear_subclasses: bool = False


@dataclass(frozen=True)
class FrameworkLora:
    """One framework config mapped to the LoRA setup that framework would build."""

    #: "axolotl" or "LLaMA-Factory"
    framework: str
    #: the base model as written: a hub id or a folder; None when the config names none
    base_model: str | None
    revision: str | None
    #: LoraConfig keyword arguments; target_modules holds only the explicit names when ``all_linear`` is set
    kwargs: Mapping[str, Any]
    #: set when the framework adds every linear layer's name to the targets
    all_linear: AllLinear | None = None
    #: 4 or 8 when the framework loads the base through bitsandbytes
    bits: int | None = None
    #: LoraConfig field -> the framework key it came from (for findings and hints in the user's words)
    keys: Mapping[str, str] = field(default_factory=dict)
    #: framework key -> 1-based line in the YAML file
    lines: Mapping[str, int] = field(default_factory=dict)
    #: things the user should know about how the config was read
    notes: tuple[str, ...] = ()
    #: why there is no LoRA adapter to lint (a full fine-tune), else None
    not_lora: str | None = None
    #: the framework key that names the base model (for a note about it)
    base_key: str = "base_model"
    #: framework keys the framework hands to peft as None (axolotl's lora_r / lora_alpha have no default)
    unset: tuple[str, ...] = ()
    #: the framework lets peft's ParamWrapper (fused experts) run without dropout instead of refusing
    expert_dropout_waived: bool = False

    def field_of(self, key: str) -> str:
        """The LoraConfig field a framework key feeds (``lora_r`` -> ``r``); the key itself when unmapped."""
        return {"lora_r": "r", "lora_rank": "r"}.get(key, key)

    def line_of(self, peft_field: str) -> int | None:
        key = self.keys.get(peft_field)
        return self.lines.get(key) if key else None


def split_commas(value: Any) -> list[str] | None:
    """A comma list as both frameworks accept it ("q_proj, v_proj"), or a YAML list, stripped."""
    if value is None:
        return None
    items = value.split(",") if isinstance(value, str) else [str(v) for v in value]
    return [item.strip() for item in items if item.strip()]
