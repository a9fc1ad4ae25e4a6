"""``lora-lint explain CODE``: a rule's documentation as written in its docstring, plus its fix."""

from __future__ import annotations

from typing import TYPE_CHECKING

import click

from lora_lint.errors import UsageError

if TYPE_CHECKING:
    from lora_lint.rules._base import Rule


def find_rule(query: str, rules: list[type[Rule]]) -> type[Rule]:
    """The rule named by code (any case) or by kebab-case name; a usage error suggests close ones."""
    wanted = query.strip()
    for rule in rules:
        if wanted.upper() == rule.code or wanted.lower() == rule.name:
            return rule
    import difflib

    known = [r.code for r in rules] + [r.name for r in rules]
    close = difflib.get_close_matches(wanted.upper(), known, n=3, cutoff=0.6) or difflib.get_close_matches(
        wanted.lower(), known, n=3, cutoff=0.6
    )
    hint = f" (did you mean {', '.join(close)}?)" if close else ""
    raise UsageError(f"unknown rule {query!r}{hint}; `lora-lint rules` lists them all")


EXPLAIN_FORMATS = ("text", "markdown")


def explanation(rule: type[Rule], fmt: str = "markdown", width: int | None = None) -> str:
    """Title, metadata, every ``## Section`` of the docstring in order, and the default fix.

    ``markdown`` is the docstring as written; ``text`` renders it for a terminal of ``width`` columns.
    """
    from lora_lint.rules._base import NEED_LABELS, Needs

    needs = [label for flag, label in NEED_LABELS.items() if flag in rule.needs and flag is not Needs.NONE]
    meta = [f"severity: {rule.severity.label}", f"basis: {rule.basis.value}"]
    if needs:
        meta.append(f"needs: {'; '.join(needs)}")
    if rule.training_only:
        meta.append("skipped with --intent inference")
    parts = [f"# {rule.code} {rule.name}", "", " · ".join(meta)]
    for title, body in rule.docs().items():
        parts += ["", f"## {title}", body]
    parts += ["", "## Fix", rule.hint]
    markdown = "\n".join(parts)
    if fmt == "markdown":
        return markdown
    from lora_lint.cli.terminal import render_markdown, terminal_width

    return render_markdown(markdown, width or terminal_width())


@click.command()
@click.argument("code")
@click.option(
    "--format",
    "fmt",
    type=click.Choice(EXPLAIN_FORMATS),
    default="text",
    show_default=True,
    help="text for a terminal, or the rule's Markdown as written.",
)
def explain(code: str, fmt: str) -> None:
    """Explain a rule: what it checks, why it breaks training, a bad and a good example, the fix.

    CODE is a rule code (LORA101) or name (target-unmatched).
    """
    try:
        rule = find_rule(code, builtin_candidates(code))
    except UsageError:  # not a built-in file name: ask every rule, plugins' too
        from lora_lint.cli.rules import registered_rules

        rule = find_rule(code, registered_rules())
    click.echo(explanation(rule, fmt))


def builtin_candidates(query: str) -> list[type[Rule]]:
    """The built-in rule whose module name carries ``query`` (``lora101_target_unmatched``), loaded alone.

    Importing one rule module instead of every one keeps ``explain`` as quick as ``--help``. With an
    installed plugin the answer is left to the full registry (empty list), so its rules and its
    registration errors are seen exactly as ``rules`` sees them.
    """
    from lora_lint.plugins import collect_registry, get_plugin_manager, may_declare_entry_points
    from lora_lint.rules import BUILTIN_RULE_MODULES

    wanted = query.strip().lower().replace("-", "_")
    if may_declare_entry_points("lora_lint"):
        return []
    for module in BUILTIN_RULE_MODULES:
        code, _, name = module.rsplit(".", 1)[-1].partition("_")
        if wanted in (code, name):
            return collect_registry(get_plugin_manager(builtins=(module,))).sorted_rules()
    return []
