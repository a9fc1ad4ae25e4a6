"""The ``lora-lint`` command group; subcommands import heavy libraries only when they run."""

from __future__ import annotations

import click

from lora_lint import __version__


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="lora-lint")
def main() -> None:
    """Prove a LoRA fine-tuning setup is wired before training."""
