"""DoRA magnitude vectors (``lora_magnitude_vector``) of a live model: name, dtype, trainable."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Magnitude:
    #: the parameter's full name (``...q_proj.lora_magnitude_vector.default.weight``)
    parameter: str
    module: str
    adapter: str
    dtype: str
    requires_grad: bool


@dataclass(frozen=True)
class DoraFacts:
    magnitudes: tuple[Magnitude, ...] = ()

    def trainable_half(self) -> tuple[Magnitude, ...]:
        return tuple(m for m in self.magnitudes if m.requires_grad and m.dtype in ("float16", "bfloat16"))


def collect_dora(model: Any) -> DoraFacts:
    if model is None or not hasattr(model, "named_parameters"):
        return DoraFacts()
    found: list[Magnitude] = []
    for name, param in model.named_parameters():
        # peft internal: DoRA keeps each adapter's magnitude at <layer>.lora_magnitude_vector.<adapter>.weight
        module, sep, rest = name.partition(".lora_magnitude_vector.")
        if not sep:
            continue
        adapter = rest.rsplit(".", 1)[0]
        found.append(Magnitude(name, module, adapter, str(param.dtype).removeprefix("torch."), bool(param.requires_grad)))
    return DoraFacts(tuple(found))
