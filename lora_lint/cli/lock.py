"""``lora-lint lock PATH``: record what an adapter was trained with, for ``check --lock`` to compare."""

from __future__ import annotations

from pathlib import Path

import click

from lora_lint.errors import UsageError


def existing_lock(ctx: click.Context, param: click.Parameter, value: str | None) -> str | None:
    """``check --lock FILE``: a missing file is lora-lint's one-line usage error, before anything loads."""
    if value is not None and not Path(value).is_file():
        what = "is a folder, not a lock file" if Path(value).is_dir() else "not found"
        raise UsageError(f"lock file {value} {what} (write one with `lora-lint lock PATH`)")
    return value


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
    if output is None:
        click.echo(f"`lora-lint check {path}` compares against it from now on (LORA304 on drift)")
    else:
        click.echo(f"compare with `lora-lint check {path} --lock {written}`")
