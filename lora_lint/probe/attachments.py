"""Attach the probe's per-layer gradient table to a report when the probe found something."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from lora_lint.findings import Attachment, Basis
from lora_lint.plugins import hookimpl

if TYPE_CHECKING:
    from lora_lint.context import RuleContext
    from lora_lint.findings import Finding

TITLE = "gradient probe"


@hookimpl
def lora_lint_attachments(ctx: RuleContext, findings: Sequence[Finding]) -> Sequence[Attachment] | None:
    """The gradient table, when a probe rule fired or an adapter came out dead or non-finite.

    Never starts the probe itself: when no rule asked for it (``--no-probe``, 4xx not selected),
    there is nothing to show.
    """
    if "probe" not in vars(ctx):
        return None
    probe = ctx.probe
    if probe is None:
        return None
    from lora_lint.probe.expect import excuses
    from lora_lint.probe.table import render, rows

    excused = excuses(ctx.layers)
    unexplained = any(
        (s.nonfinite or (s.dead and not probe.unreached(s))) and (s.layer, s.adapter) not in excused
        for s in probe.slots
    )
    if not unexplained and not any(f.basis is Basis.PROBE for f in findings):
        return None
    return [
        Attachment(
            target=ctx.target,
            title=TITLE,
            text=render(probe, excused),
            data={
                "loss": None if probe.nonfinite_loss else probe.loss,  # JSON has no NaN
                "batch": probe.batch,
                "device": probe.device,
                "rows": rows(probe, excused),
            },
        )
    ]
