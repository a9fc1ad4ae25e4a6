"""A rule from another package is picked up through the ``lora_lint`` entry-point group, or as a plugin object."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from lora_lint import hookimpl, lint
from lora_lint.errors import PluginError
from lora_lint.findings import Severity
from lora_lint.plugins import collect_registry, get_plugin_manager
from lora_lint.rules._base import Needs, Rule
from tests.tiny_models import llama, lora

PLUGIN_SOURCE = '''
from lora_lint import hookimpl, Severity
from lora_lint.rules._base import Needs, Rule


class RankTooSmall(Rule):
    """
    ## What it does
    Flags adapters of rank 1.

    ## Why is this bad?
    House policy.

    ## Example
    LoraConfig(r=1)

    ## Use instead
    LoraConfig(r=8)
    """

    code = "LORA199"
    name = "house-rank-too-small"
    severity = Severity.WARNING
    needs = Needs.MODEL
    hint = "Use r >= 2."

    def check(self, ctx):
        for slot in ctx.layers.slots():
            if slot.r < 2:
                yield self.finding(ctx, f"rank {slot.r}", module=slot.layer, adapter=slot.adapter)


@hookimpl
def lora_lint_register_rules(register):
    register(RankTooSmall)
'''


def _install_distribution(site: Path) -> None:
    """A real (unpacked) distribution: a module plus a .dist-info with an entry point."""
    (site / "house_rules.py").write_text(PLUGIN_SOURCE)
    info = site / "house_rules-1.0.dist-info"
    info.mkdir()
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: house-rules\nVersion: 1.0\n")
    (info / "entry_points.txt").write_text("[lora_lint]\nhouse = house_rules\n")
    (info / "RECORD").write_text("")


def test_an_installed_distribution_registers_its_rule_through_the_entry_point(tmp_path: Path) -> None:
    _install_distribution(tmp_path)
    script = textwrap.dedent(
        """
        import json
        from lora_lint import lint
        from lora_lint.linting import Linter
        from tests.tiny_models import llama, lora

        registry = Linter().registry
        report = lint(lora(llama(), r=1, lora_alpha=2), probe=False)
        print(json.dumps({"plugin": registry.rule_plugins["LORA199"], "codes": sorted(report.codes)}))
        """
    )
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(tmp_path), str(Path.cwd())])}
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, env=env, check=True)
    result = json.loads(out.stdout.strip().splitlines()[-1])
    assert result == {"plugin": "house", "codes": ["LORA199"]}


class _Plugin:
    def __init__(self, rule: type) -> None:
        self.rule = rule

    @hookimpl
    def lora_lint_register_rules(self, register) -> None:
        register(self.rule)


def _rule(code: str, doc: str | None = None) -> type:
    ns: dict = {}
    exec(PLUGIN_SOURCE.replace("LORA199", code), ns)
    rule = ns["RankTooSmall"]
    if doc is not None:
        rule.__doc__ = doc
    return rule


def test_a_plugin_object_adds_a_rule_to_lint() -> None:
    report = lint(lora(llama(), r=1, lora_alpha=2), probe=False, plugins=(_Plugin(_rule("LORA198")),))
    assert report.codes == {"LORA198"}
    assert report.findings[0].severity is Severity.WARNING


@pytest.mark.parametrize(
    ("code", "doc", "reason"),
    [
        ("LORA7001", None, "does not match"),
        ("LORA101", None, "already registered"),
        ("LORA197", "no sections here", "lacks the section"),
    ],
)
def test_register_refuses_a_bad_rule_and_names_the_plugin(code: str, doc: str | None, reason: str) -> None:
    pm = get_plugin_manager((_Plugin(_rule(code, doc)),))
    with pytest.raises(PluginError, match=reason):
        collect_registry(pm)


def test_register_refuses_a_retired_code(monkeypatch) -> None:
    from lora_lint.rules import _retired

    monkeypatch.setitem(_retired.RETIRED_CODES, "LORA196", "split into LORA101/102")
    with pytest.raises(PluginError, match="retired"):
        collect_registry(get_plugin_manager((_Plugin(_rule("LORA196")),)))


def test_rule_base_needs_are_flags() -> None:
    assert Needs.CONFIG | Needs.BASE != Needs.NONE
    assert issubclass(_rule("LORA195"), Rule)


def test_built_in_loaders_are_tried_in_the_order_they_are_listed() -> None:
    from lora_lint.sources import BUILTIN_SOURCE_MODULES

    pm = get_plugin_manager()
    called = [impl.plugin_name for impl in reversed(pm.hook.lora_lint_load_setup.get_hookimpls())]
    assert called == list(BUILTIN_SOURCE_MODULES)
