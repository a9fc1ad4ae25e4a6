"""The ``lora-lint`` command group; subcommands import heavy libraries only when they run.

Every error lora-lint raises on purpose (``LoraLintError``) and every click usage error ends as one
line on stderr and exit status 2, never a traceback.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from typing import Any

import click

from lora_lint import __version__
from lora_lint.errors import LoraLintError
from lora_lint.printable import printable
from lora_lint.text import one_line

USAGE_EXIT = 2


def _fail(prog: str, message: str, code: int = USAGE_EXIT) -> None:
    line = printable(one_line(message))  # one line, whatever the message held; no byte that is not UTF-8
    click.echo(f"{prog}: error: {line}", err=True)
    sys.exit(code)


#: subcommand -> "module:attribute", imported only when it runs or ``--help`` lists it, so
#: ``lora-lint rules`` does not pay for what ``check`` imports
SUBCOMMANDS = {
    "check": "lora_lint.cli.check:check",
    "rules": "lora_lint.cli.rules:rules",
    "explain": "lora_lint.cli.explain:explain",
    "lock": "lora_lint.cli.lock:lock",
}


class LoraLintGroup(click.Group):
    """A click group that turns usage errors into a single stderr line with exit status 2."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*super().list_commands(ctx), *SUBCOMMANDS})

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name in SUBCOMMANDS and cmd_name not in self.commands:
            import importlib

            module, attr = SUBCOMMANDS[cmd_name].split(":")
            self.add_command(getattr(importlib.import_module(module), attr), cmd_name)
        return super().get_command(ctx, cmd_name)

    def main(
        self,
        args: Sequence[str] | None = None,
        prog_name: str | None = None,
        complete_var: str | None = None,
        standalone_mode: bool = True,
        **extra: Any,
    ) -> Any:
        prog = prog_name or "lora-lint"
        if not standalone_mode:  # embedding callers (tests, other tools) handle exceptions themselves
            return super().main(args, prog, complete_var, standalone_mode=False, **extra)
        try:
            result = super().main(args, prog, complete_var, standalone_mode=False, **extra)
        except click.UsageError as exc:
            where = exc.ctx.command_path if exc.ctx is not None else prog
            _fail(where, exc.format_message())
        except click.ClickException as exc:
            _fail(prog, exc.format_message(), exc.exit_code)
        except click.Abort:
            click.echo("Aborted!", err=True)
            sys.exit(1)
        except LoraLintError as exc:
            _fail(prog, str(exc))
        except BrokenPipeError:  # `lora-lint rules | head`
            sys.stderr.close()
            sys.exit(1)
        sys.exit(result if isinstance(result, int) else 0)


@click.group(cls=LoraLintGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="lora-lint")
def main() -> None:
    """Prove a LoRA fine-tuning setup is wired before training.

    \b
    lora-lint check train.py:build_model          lint what a factory returns
    lora-lint check --model DIR --lora-config F   lint a base model + LoRA config
    lora-lint check ADAPTER_DIR | RUN_DIR         lint saved adapters
    lora-lint rules                               list the rules
    lora-lint explain LORA101                     what a rule checks and how to fix it
    lora-lint lock ADAPTER_DIR                    record an adapter for check --lock
    """

