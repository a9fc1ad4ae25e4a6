"""The per-layer gradient table: layer x adapter, gradient norms of A and B, status; dead rows stand out."""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

from lora_lint.probe.result import DeadCause, Grad, GradKind, ProbeResult, SlotProbe

#: Longer tables fold runs of healthy rows so that the dead ones stay on screen.
MAX_ROWS = 40

CAUSE_LABELS: Mapping[DeadCause, str] = {
    DeadCause.NOT_CALLED: "DEAD: not called",
    DeadCause.CHECKPOINT: "DEAD: reentrant checkpointing",
    DeadCause.NO_GRAD: "DEAD: no_grad",
    DeadCause.BYPASSED: "DEAD: adapter bypassed",
    DeadCause.DETACHED: "DEAD: detached",
    DeadCause.ZERO: "DEAD: zero gradient",
    DeadCause.FROZEN: "DEAD: frozen",
    DeadCause.NOT_INVOKED: "DEAD: aLoRA not invoked",
}

_EXPECTED_ZERO_NOTE = (
    "* zero by construction while the other matrix is still zero (LoRA init): expected before the first step."
)


def status(slot: SlotProbe, excuse: str | None = None, unreached: bool = False) -> str:
    """One word or two for a row; excused slots show the reason another rule reports."""
    if excuse is not None:
        return f"({excuse})"
    if slot.nonfinite:
        return "NaN/Inf"
    if unreached:
        return "(not reached by the batch)"
    cause = slot.cause
    if cause is None and slot.magnitude_cause is not None:
        return f"{CAUSE_LABELS[slot.magnitude_cause]} (DoRA magnitude)"
    return "ok" if cause is None else CAUSE_LABELS[cause]


def _norm(grad: Grad, expected_zero: bool = False) -> str:
    if grad.kind is GradKind.NONE:
        return "none"
    if grad.kind is GradKind.ZERO:
        return "0*" if expected_zero else "0"
    if grad.kind is GradKind.NONFINITE:
        return "inf" if grad.norm is not None and math.isinf(grad.norm) else "nan"
    return f"{grad.norm:.2e}"


def rows(probe: ProbeResult, excused: Mapping[tuple[str, str], str] | None = None) -> list[dict[str, Any]]:
    """The table as data (for JSON): one row per layer and adapter."""
    excused = excused or {}
    return [
        {
            "layer": s.layer,
            "adapter": s.adapter,
            "grad_a": _norm(s.a, s.a_expected_zero),
            "grad_b": _norm(s.b, s.b_expected_zero),
            "status": status(s, excused.get((s.layer, s.adapter)), probe.unreached(s)),
        }
        for s in probe.slots
    ]


def headline(probe: ProbeResult) -> str:
    """Loss, batch and device on one line; or why there is no loss."""
    source = {"user": " (given)", "synthetic": " (synthetic)"}.get(probe.batch_source or "", "")
    batch = f"batch {probe.batch}{source}; " if probe.batch else ""
    if probe.loss is None:
        return f"no loss: {probe.failure}; {batch}device {probe.device}"
    grad = "" if probe.loss_requires_grad else ", no grad_fn"
    line = f"loss {probe.loss:.4g} ({probe.loss_source} loss{grad}); {batch}device {probe.device}"
    if probe.failure:
        line += f"; {probe.failure}"
    return line


def render(probe: ProbeResult, excused: Mapping[tuple[str, str], str] | None = None, max_rows: int = MAX_ROWS) -> str:
    """The table as text, headed by the loss line; folds runs of ok rows when there are many."""
    data = rows(probe, excused)
    lines = [headline(probe)]
    if not data:
        return lines[0]
    header = {"layer": "layer", "adapter": "adapter", "grad_a": "grad A", "grad_b": "grad B", "status": "status"}
    keys = ("layer", "adapter", "grad_a", "grad_b")
    width = {k: max(len(str(r[k])) for r in [header, *data]) for k in keys}

    def line(r: Mapping[str, Any]) -> str:
        return "  ".join(str(r[k]).ljust(width[k]) for k in keys) + "  " + str(r["status"])

    lines.append(line(header))
    for item in _folded(data, max_rows):
        lines.append(item if isinstance(item, str) else line(item))
    if any("0*" in (r["grad_a"], r["grad_b"]) for r in data):
        lines.append(_EXPECTED_ZERO_NOTE)
    return "\n".join(lines)


def _folded(data: list[dict[str, Any]], max_rows: int) -> list[dict[str, Any] | str]:
    """All rows when they fit; else each run of 3+ ok rows becomes its first row and a count."""
    if len(data) <= max_rows:
        return list(data)
    out: list[dict[str, Any] | str] = []
    run: list[dict[str, Any]] = []

    def flush() -> None:
        if len(run) >= 3:
            out.extend([run[0], f"  ... {len(run) - 1} more ok"])
        else:
            out.extend(run)
        run.clear()

    for r in data:
        if r["status"] == "ok":
            run.append(r)
            continue
        flush()
        out.append(r)
    flush()
    return out
