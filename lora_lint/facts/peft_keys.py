"""peft's key conventions for saved adapter tensors: which module a key belongs to and what part it is.

peft saves ``get_peft_model_state_dict`` (peft/utils/save_and_load.py): keys of the PeftModel's state dict
with the adapter name removed (``BaseTuner._remove_adapter_name_from_key``), e.g.
``base_model.model.model.layers.0.self_attn.q_proj.lora_A.weight``; ``modules_to_save`` copies lose their
``modules_to_save.<adapter>.`` part, and resized embeddings are saved as ``<embedding>.base_layer.weight``.
"""

from __future__ import annotations

from dataclasses import dataclass

#: the prefix PeftModel.state_dict() puts before the base model's own keys (PeftModel.base_model.model)
PEFT_PREFIX = "base_model.model."
#: LoRA parts peft saves per adapted layer; A/B are the two factors of the learned update
LORA_PARTS: dict[str, str] = {
    "lora_A": "A",
    "lora_B": "B",
    "lora_embedding_A": "A",
    "lora_embedding_B": "B",
    "lora_magnitude_vector": "magnitude",
}
#: TrainableTokensWrapper saves its delta under this suffix (peft/tuners/trainable_tokens)
TOKEN_SUFFIX = ".token_adapter.trainable_tokens_delta"


@dataclass(frozen=True)
class SavedKey:
    """One saved tensor name, split along peft's conventions."""

    #: the name as stored in the file
    key: str
    #: the name without peft's ``base_model.model.`` prefix (what locks and messages use)
    name: str
    #: the base-model module the tensor belongs to (``model.layers.0.self_attn.q_proj``)
    module: str
    #: ``lora_A`` / ``lora_B`` / ``lora_embedding_A`` / ``lora_embedding_B`` / ``lora_magnitude_vector``,
    #: or None for a whole saved module (modules_to_save, a resized embedding, trainable tokens)
    part: str | None
    #: what follows the part or the module: ``weight``, ``bias``, or an adapter name left in by mistake
    rest: str

    @property
    def role(self) -> str | None:
        """``A``, ``B``, ``magnitude`` or None."""
        return LORA_PARTS.get(self.part) if self.part else None

    @property
    def is_factor(self) -> bool:
        """A LoRA A or B weight (not a bias, not a magnitude vector)."""
        return self.role in ("A", "B") and self.rest in ("", "weight")

    @property
    def has_adapter_name(self) -> bool:
        """The key still carries an adapter name (``lora_A.default.weight``): peft will not load it."""
        return self.part in ("lora_A", "lora_B") and self.rest not in ("weight", "bias")


def parse_key(key: str) -> SavedKey:
    name = key.removeprefix(PEFT_PREFIX)
    parts = name.split(".")
    for i, piece in enumerate(parts):
        if piece in LORA_PARTS:
            return SavedKey(key, name, ".".join(parts[:i]), piece, ".".join(parts[i + 1 :]))
    if name.endswith(TOKEN_SUFFIX):
        return SavedKey(key, name, name[: -len(TOKEN_SUFFIX)], None, TOKEN_SUFFIX[1:])
    module, _, param = name.rpartition(".")
    module = module.removesuffix(".base_layer")
    return SavedKey(key, name, module, None, param)
