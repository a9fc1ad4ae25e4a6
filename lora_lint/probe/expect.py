"""Which adapter slots must receive gradient in the probe, and why the others are excused.

A slot that is frozen, disabled, merged, inactive, scaled by zero or split from its layer's device
gets no gradient by construction; another rule reports that root cause (LORA202, LORA204, LORA306,
LORA503), so probe rules stay quiet about its consequences.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from lora_lint.facts.layers import AdapterSlot, LayerFacts, LoraLayerFacts


def excuse(layer: LoraLayerFacts, slot: AdapterSlot) -> str | None:
    """Why this slot is not expected to get gradient (a short phrase), or None when it must."""
    if not slot.trainable:
        return "frozen"
    if slot.adapter in layer.merged_adapters:
        return "merged"
    if layer.disabled:
        return "disabled"
    if not slot.active:
        return "inactive"
    if slot.scaling == 0:
        return "zero scale"
    if _device_kind(slot.device) != _device_kind(layer.base_device) and layer.base_device != "?":
        return "device split"
    return None


def live_slots(layers: LayerFacts) -> dict[tuple[str, str], AdapterSlot]:
    """``(layer key, adapter) -> slot`` for every slot that must receive gradient in the probe."""
    return {(layer.key, s.adapter): s for layer in layers for s in layer.adapters if excuse(layer, s) is None}


def excuses(layers: LayerFacts) -> dict[tuple[str, str], str]:
    """``(layer key, adapter) -> reason`` for every slot that is excused."""
    found: dict[tuple[str, str], str] = {}
    for layer in layers:
        for s in layer.adapters:
            reason = excuse(layer, s)
            if reason is not None:
                found[(layer.key, s.adapter)] = reason
    return found


def _device_kind(device: str) -> str:
    return device if ":" in device or device == "cpu" else f"{device}:0"
