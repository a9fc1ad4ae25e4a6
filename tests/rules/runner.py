"""Lint the way a user would, through ``lint`` or ``lint_targets``: the helpers every rule test shares."""

from __future__ import annotations

import ast
import importlib
import pkgutil
import re
from collections.abc import Mapping
from pathlib import Path
from types import ModuleType
from typing import Any

import tests.rules.cases as cases_pkg
from lora_lint import Finding, Report, lint, lint_targets
from lora_lint.context import Setup
from lora_lint.settings import Settings
from lora_lint.sources.options import load_options


def case_modules() -> list[ModuleType]:
    names = sorted(i.name for i in pkgutil.iter_modules(cases_pkg.__path__) if i.name.startswith("lora"))
    return [importlib.import_module(f"{cases_pkg.__name__}.{n}") for n in names]


def lint_target(target: str | Path | None, select: str | None = None, probe: bool = False, **options: Any) -> Report:
    """``lora-lint check TARGET`` (None: only the ``model=``/``lora_config=`` pair) with the loader options given."""
    settings = Settings(probe=probe, select=(select,) if select else Settings().select)
    return lint_targets([] if target is None else [str(target)], settings, load_options(options))


def run(model: Any, code: str, **kwargs: Any) -> Report:
    """Lint a live model with one rule and no probe."""
    return lint(model, probe=False, select=[code], **kwargs)


def only(report: Report, code: str) -> list[Finding]:
    """The findings of ``code``, asserting that no other rule fired."""
    assert report.codes == {code}, report.format_findings() or "no findings"
    return [f for f in report.findings if f.code == code]


def run_case(value: Any, probe: bool = True, **kwargs: Any) -> Report:
    if isinstance(value, (str, Path)):
        options = kwargs.pop("options", None)
        settings = Settings(probe=probe).merged(**kwargs)
        return lint_targets([str(value)], settings, load_options(options))
    if isinstance(value, Mapping):
        args = dict(value)
        args.setdefault("probe", probe)
        args.update(kwargs)
        return lint(args.pop("model"), **args)
    assert value is None or isinstance(value, Setup) or hasattr(value, "named_modules"), value
    return lint(value, probe=probe, **kwargs)


def hint_groups(findings: list[Finding], pattern: str) -> tuple[str, ...]:
    """What ``pattern``'s groups capture in the findings' hint (the findings must share one hint)."""
    hints = {f.hint for f in findings}
    assert len(hints) == 1, hints
    (hint,) = hints
    match = re.search(pattern, hint)
    assert match, f"{pattern!r} not in hint {hint!r}"
    return match.groups()


def hint_literal(findings: list[Finding], pattern: str) -> Any:
    """The Python literal that ``pattern``'s first group captures in the findings' hint."""
    return ast.literal_eval(hint_groups(findings, pattern)[0])


def hint_says(findings: list[Finding], phrase: str) -> None:
    """Assert that every finding's hint names ``phrase`` (the change the fixed case applies)."""
    missing = [f.hint for f in findings if phrase not in f.hint]
    assert not missing, f"{phrase!r} not in {missing}"
