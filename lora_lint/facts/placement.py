"""Where and how the model's weights are held: its ``device_map`` dispatch and its 4-bit storage dtype."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from typing import Any

from lora_lint.facts.kbit_kinds import packed_bits


@dataclass(frozen=True)
class Placement:
    """Devices of the model's ``hf_device_map`` and, for a bitsandbytes 4-bit base, storage vs float dtype."""

    #: module -> device as dispatched (``from_pretrained(device_map=...)`` or accelerate's ``dispatch_model``)
    device_map: tuple[tuple[str, str], ...] = ()
    #: 4-bit parameters (``Params4bit``) and the dtype their packed data is stored in
    quantized: tuple[str, ...] = ()
    quant_storage: str | None = None
    #: the floating dtype holding most of the base's other frozen parameters (what FSDP flattens beside them)
    float_dtype: str | None = None

    @property
    def devices(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(d for _, d in self.device_map))


def _dtype_name(dtype: Any) -> str:
    return str(dtype).removeprefix("torch.")


def collect_placement(model: Any) -> Placement:
    """Read the dispatch map and parameter dtypes; nothing is moved or cast."""
    raw = getattr(model, "hf_device_map", None)
    device_map = tuple((str(k), str(v)) for k, v in raw.items()) if isinstance(raw, dict) else ()
    quantized: list[str] = []
    storage: Counter[str] = Counter()
    floats: Counter[str] = Counter()
    for name, param in model.named_parameters():
        if packed_bits(param) == 4:  # bitsandbytes' Params4bit: the packed 4-bit data
            quantized.append(name)
            storage[_dtype_name(param.dtype)] += param.numel()
        elif param.is_floating_point() and not param.requires_grad:
            floats[_dtype_name(param.dtype)] += param.numel()
    return Placement(
        device_map=device_map,
        quantized=tuple(quantized),
        quant_storage=storage.most_common(1)[0][0] if storage else None,
        float_dtype=floats.most_common(1)[0][0] if floats else None,
    )
