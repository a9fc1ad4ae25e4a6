"""The probe's view of each adapter slot: its A and B gradients beside what its forward hook saw."""

from __future__ import annotations

from typing import TYPE_CHECKING

from lora_lint.probe.result import Grad, SlotProbe

if TYPE_CHECKING:
    from lora_lint.facts.layers import LayerFacts
    from lora_lint.probe.hooks import Tracer


def slot_probes(layers: LayerFacts, tracer: Tracer, stats: list[Grad], a_peaks: list[list[float] | None]) -> list[SlotProbe]:
    """One SlotProbe per adapter slot of ``layers``, from the gradient summaries of its A, B and DoRA magnitude
    (in threes; the third is ignored for a slot without DoRA)."""
    slots: list[SlotProbe] = []
    paths = {layer.key: layer.path for layer in layers}
    for i, slot in enumerate(layers.slots()):
        path = paths.get(slot.layer, slot.layer)
        a_peak = a_peaks[i]
        slots.append(
            SlotProbe(
                layer=slot.layer,
                path=path,
                adapter=slot.adapter,
                a=stats[3 * i],
                b=stats[3 * i + 1],
                b_is_zero=slot.b_is_zero,
                trace=tracer.trace(path),
                checkpointing=tracer.checkpointing_of(path),
                a_param=slot.a_param,
                b_param=slot.b_param,
                a_is_zero=None if a_peak is None else a_peak[0] == 0,
                m=stats[3 * i + 2] if slot.m_param is not None else None,
                m_param=slot.m_param,
                m_requires_grad=slot.m_requires_grad,
            )
        )
    return slots
