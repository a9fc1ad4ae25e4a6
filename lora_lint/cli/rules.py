"""``lora-lint rules``: the table of registered rules, from metadata only (no torch import)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import click

from lora_lint.rules._catalog import RuleInfo

if TYPE_CHECKING:
    from lora_lint.rules._base import Rule

RULE_FORMATS = ("text", "markdown", "json")


def registered_rules() -> list[type[Rule]]:
    """Every rule the built-in and installed plugins register, ordered by code."""
    from lora_lint.plugins import collect_registry, get_plugin_manager
    from lora_lint.rules import BUILTIN_RULE_MODULES

    return collect_registry(get_plugin_manager(builtins=BUILTIN_RULE_MODULES)).sorted_rules()


def rule_infos() -> list[RuleInfo]:
    """What the rules table shows of every registered rule, ordered by code.

    With no plugin installed, the built-in rules are read from their files' text (no imports, fast);
    otherwise every rule module is imported and registered, as a check would.
    """
    from lora_lint.plugins import may_declare_entry_points

    if not may_declare_entry_points("lora_lint"):
        from lora_lint.rules._catalog import builtin_catalog

        catalog = builtin_catalog()
        if catalog is not None:
            return catalog
    return [RuleInfo(r.code, r.name, r.severity.label, r.summary()) for r in registered_rules()]


def rules_table(rules: list[RuleInfo], fmt: str = "text", width: int | None = None) -> str:
    """The rules as a text table wrapped to ``width`` (the terminal's), a Markdown table (the README's) or JSON."""
    rows = [(r.code, r.name, r.severity, r.summary) for r in rules]
    if fmt == "json":
        import json

        keys = ("code", "name", "severity", "summary")
        return json.dumps([dict(zip(keys, row)) for row in rows], indent=2)
    if fmt == "markdown":
        lines = ["| code | name | severity | what it finds |", "|---|---|---|---|"]
        lines += [f"| {code} | {name} | {sev} | {summary.replace('|', '&#124;')} |" for code, name, sev, summary in rows]
        return "\n".join(lines)
    from lora_lint.cli.terminal import terminal_width, wrap

    header = ("code", "name", "severity", "summary")
    widths = [max(len(str(row[i])) for row in [header, *rows]) for i in range(3)]
    lead = sum(widths) + 2 * 3
    room = max((width or terminal_width()) - lead, 30)
    lines = []
    for row in [header, *rows]:
        summary = wrap(row[3], room)
        lines.append("  ".join(str(row[i]).ljust(widths[i]) for i in range(3)) + "  " + summary[0])
        lines += [" " * lead + more for more in summary[1:]]
    return "\n".join(line.rstrip() for line in lines)


@click.command()
@click.option(
    "--format",
    "fmt",
    type=click.Choice(RULE_FORMATS),
    default="text",
    show_default=True,
    help="text table wrapped to the terminal, Markdown table (as in the README) or JSON.",
)
def rules(fmt: str) -> None:
    """List every rule: code, name, default severity and what it finds."""
    click.echo(rules_table(rule_infos(), fmt))
