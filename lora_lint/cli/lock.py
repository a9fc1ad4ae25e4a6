"""``lora-lint lock PATH``: record what an adapter was trained with, for ``check --lock`` to compare."""

from __future__ import annotations

import click


@click.command("lock")
@click.argument("path", type=click.Path(exists=True))
@click.option(
    "-o",
    "--output",
    type=click.Path(dir_okay=False),
    help="Where to write the lock [default: PATH/lora.lock.json].",
)
def lock(path: str, output: str | None) -> None:
    """Write lora.lock.json for an adapter folder or a run folder (its final adapter).

    \b
    The lock records the fields that set the adapter's output scale (r, lora_alpha, use_rslora,
    rank_pattern, alpha_pattern), target_modules, every tensor's shape and a content hash.
    `lora-lint check PATH --lock FILE` reports LORA304 when any of them drifts.
    """
    from lora_lint.facts.scale_fields import formula
    from lora_lint.lock import read_lock, write_lock

    written = write_lock(path, output)
    for name, record in read_lock(written)["adapters"].items():
        cfg = record["config"]
        rule = formula(cfg)
        click.echo(
            f"adapter {name!r}: r={cfg['r']} lora_alpha={cfg['lora_alpha']} scale {record['scale']:.4g} ({rule}), "
            f"{len(record['tensors'])} tensors"
        )
    click.echo(f"wrote {written}")
