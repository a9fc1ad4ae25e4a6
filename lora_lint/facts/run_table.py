"""The per-checkpoint table of a training run (scale, rank, size of the learned update), as an attachment."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from lora_lint.findings import Attachment
from lora_lint.plugins import hookimpl

if TYPE_CHECKING:
    from lora_lint.context import RuleContext
    from lora_lint.findings import Finding


@dataclass(frozen=True)
class CheckpointRow:
    """One adapter at one checkpoint: how it is scaled and how large its learned update is."""

    stage: str
    adapter: str
    r: Any
    alpha: Any
    scale: float
    layers: int
    #: sqrt of the sum over layers of ||scale · B·A||_F^2 (None: no weights)
    update_norm: float | None
    #: the largest per-layer ||scale · B·A|| / ||W|| and its layer (None without the base weights)
    max_relative: float | None
    max_layer: str | None


def checkpoint_rows(checkpoints: Sequence[Path], run_root: Path | None, model_dir: Path | None) -> list[CheckpointRow]:
    """Rows for every adapter of every checkpoint, in run order; values are read one tensor at a time."""
    from lora_lint.facts.artifact_scan import base_layer_norms
    from lora_lint.facts.artifacts import artifact_of
    from lora_lint.facts.scale_fields import global_scale, scale_fields
    from lora_lint.sources.adapter_files import load_adapters

    rows: list[CheckpointRow] = []
    base_norms: dict[str, float] = {}
    for folder in checkpoints:
        stage = "final" if run_root is not None and Path(folder) == Path(run_root) else Path(folder).name
        for name, saved in load_adapters(Path(folder)).items():
            artifact = artifact_of(saved, Path(folder))
            fields = scale_fields(saved.config)
            norms = artifact.update_norms if saved.weights is not None else {}
            wanted = [m for m in norms if m not in base_norms]
            if model_dir is not None and wanted:
                base_norms.update(base_layer_norms(model_dir, wanted))
            relative = {m: n / base_norms[m] for m, n in norms.items() if base_norms.get(m)}
            worst = max(relative, key=lambda m: relative[m]) if relative else None
            rows.append(
                CheckpointRow(
                    stage=stage,
                    adapter=name,
                    r=fields["r"],
                    alpha=fields["lora_alpha"],
                    scale=global_scale(fields),
                    layers=len(artifact.layers),
                    update_norm=math.sqrt(sum(n * n for n in norms.values())) if norms else None,
                    max_relative=relative[worst] if worst else None,
                    max_layer=worst,
                )
            )
    return rows


def format_rows(rows: Sequence[CheckpointRow]) -> str:
    header = ("checkpoint", "adapter", "r", "alpha", "scale", "layers", "||scale·BA||", "max ||ΔW||/||W||")
    body = [
        (
            row.stage,
            row.adapter,
            str(row.r),
            f"{row.alpha:g}" if isinstance(row.alpha, (int, float)) else str(row.alpha),
            f"{row.scale:.4g}",
            str(row.layers),
            "-" if row.update_norm is None else f"{row.update_norm:.4g}",
            "-" if row.max_relative is None else f"{row.max_relative:.3g} ({row.max_layer})",
        )
        for row in rows
    ]
    widths = [max(len(r[i]) for r in [header, *body]) for i in range(len(header))]
    lines = ["  ".join(cell.ljust(w) for cell, w in zip(line, widths)).rstrip() for line in [header, *body]]
    return "\n".join(lines)


@hookimpl
def lora_lint_attachments(ctx: RuleContext, findings: Sequence[Finding]) -> Sequence[Attachment] | None:
    """For the last setup of a run folder: one table over all its checkpoints."""
    setup = ctx.setup
    if setup.run is None or not setup.run.show_summary or not setup.checkpoints:
        return None
    rows = checkpoint_rows(setup.checkpoints, setup.run.root, setup.base_model_dir)
    if not rows:
        return None
    note = "" if setup.base_model_dir else "\n(pass --model DIR with weights to see each update relative to its layer)"
    return [
        Attachment(
            target=setup.target,
            title="training run: scale, rank and learned update per checkpoint",
            text=format_rows(rows) + note,
            data={"rows": [row.__dict__ for row in rows]},
        )
    ]
