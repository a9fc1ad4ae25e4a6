"""``lora-lint explain CODE``: the rule's docstring sections as written, plus its fix."""

from __future__ import annotations

from pathlib import Path

import pytest

from lora_lint.cli.explain import explanation
from lora_lint.cli.rules import registered_rules
from lora_lint.rules._base import REQUIRED_SECTIONS
from tests.cli.conftest import run_cli


def test_explain_markdown_prints_the_docstring_sections_as_written_and_the_fix() -> None:
    run = run_cli("explain", "LORA101", "--format", "markdown")
    assert run.rc == 0, run.err
    rule = next(r for r in registered_rules() if r.code == "LORA101")
    assert run.out == explanation(rule, "markdown") + "\n"
    assert run.out.startswith("# LORA101 target-unmatched\n")
    for section in REQUIRED_SECTIONS:
        assert f"\n## {section}\n{rule.docs()[section]}\n" in run.out
    assert run.out.endswith(f"## Fix\n{rule.hint}\n")


def test_explain_renders_for_a_terminal_headings_underlined_code_indented_no_markdown() -> None:
    run = run_cli("explain", "LORA101", env={"COLUMNS": "80"})
    assert run.rc == 0, run.err
    rule = next(r for r in registered_rules() if r.code == "LORA101")
    assert run.out == explanation(rule, "text", width=80) + "\n"
    lines = run.out.splitlines()
    assert lines[:2] == ["LORA101 target-unmatched", "=" * len("LORA101 target-unmatched")]
    assert "What it does\n------------\n" in run.out
    assert '    LoraConfig(r=8, lora_alpha=16, target_modules=["q_proj", "value"])  # Llama has no "value"' in lines
    assert "```" not in run.out and "`" not in run.out and "## " not in run.out
    assert "peft raises only when no entry matches." in run.out  # emphasis marks dropped
    prose = [line for line in lines if not line.startswith("    ")]
    assert max(len(line) for line in prose) <= 80
    assert lines[-3:] == ["Fix", "---", rule.hint]


@pytest.mark.parametrize("query", ["lora101", "target-unmatched"])
def test_explain_accepts_a_lowercase_code_or_the_rule_name(query: str) -> None:
    run = run_cli("explain", query, "--format", "markdown")
    assert run.rc == 0
    assert run.out.startswith("# LORA101 target-unmatched")


def test_explain_unknown_code_is_one_line_with_a_suggestion_and_exit_2() -> None:
    run = run_cli("explain", "target-unmached")
    assert run.rc == 2
    assert run.out == ""
    (line,) = run.err_lines
    assert line.startswith("lora-lint: error: unknown rule 'target-unmached' (did you mean target-unmatched")
    assert line.endswith("; `lora-lint rules` lists them all")


HOUSE_PLUGIN = '''
from lora_lint import Severity, hookimpl
from lora_lint.rules._base import Needs, Rule


class RankTooSmall(Rule):
    """
    ## What it does
    Reports ranks below 2.

    ## Why is this bad?
    x

    ## Example
    x

    ## Use instead
    y
    """

    code, name, severity, needs, hint = "LORA199", "house-rank-too-small", Severity.WARNING, Needs.NONE, "Use r >= 2."

    def check(self, ctx):
        return []


@hookimpl
def lora_lint_register_rules(register):
    register(RankTooSmall)
'''


@pytest.mark.parametrize("query", ["LORA199", "house-rank-too-small", "LORA101"])
def test_explain_answers_for_built_in_and_installed_plugin_rules_alike(tmp_path: Path, query: str) -> None:
    (tmp_path / "house_rules.py").write_text(HOUSE_PLUGIN)
    dist = tmp_path / "house_rules-1.0.dist-info"
    dist.mkdir()
    (dist / "METADATA").write_text("Metadata-Version: 2.1\nName: house-rules\nVersion: 1.0\n")
    (dist / "entry_points.txt").write_text("[lora_lint]\nhouse = house_rules\n")
    run = run_cli("explain", "--format", "markdown", query, cwd=tmp_path, env={"PYTHONPATH": str(tmp_path)})
    assert run.rc == 0, run.err
    expected = "# LORA101 target-unmatched\n" if query == "LORA101" else "# LORA199 house-rank-too-small\n"
    assert run.out.startswith(expected)
