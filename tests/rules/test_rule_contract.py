"""Every registered rule: a well-formed unique code, its doc sections, a bad case that fires it, a good one that is quiet."""

from __future__ import annotations

import re

import pytest

from lora_lint.linting import Linter
from lora_lint.rules._base import REQUIRED_SECTIONS
from lora_lint.rules._retired import RETIRED_CODES
from tests.rules.runner import case_modules, run_case

REGISTRY = Linter().registry
CASES = {m.CODE: m for m in case_modules()}
CODES = sorted(REGISTRY.rules)


def test_every_rule_has_a_case_and_every_case_a_rule() -> None:
    assert sorted(CASES) == CODES


@pytest.mark.parametrize("code", CODES)
def test_rule_metadata_is_complete(code: str) -> None:
    rule = REGISTRY.rules[code]
    assert re.fullmatch(r"LORA[1-8]\d\d", rule.code)
    assert code not in RETIRED_CODES
    assert re.fullmatch(r"[a-z0-9]+(-[a-z0-9]+)*", rule.name)
    assert rule.hint.strip()
    sections = rule.docs()
    for section in REQUIRED_SECTIONS:
        assert sections.get(section), f"{code} lacks '## {section}'"


def test_rule_names_are_unique() -> None:
    names = [r.name for r in REGISTRY.rules.values()]
    assert len(names) == len(set(names))


@pytest.mark.parametrize("code", CODES)
def test_bad_case_fires_exactly_this_code(code: str, tmp_path) -> None:
    case = CASES[code]
    report = run_case(case.bad(tmp_path), probe=getattr(case, "PROBE", True))
    fired = report.codes
    assert code in fired, report.format_findings() or "no findings"
    allowed = {code, *getattr(case, "ALSO", ())}
    assert fired <= allowed, report.format_findings()


@pytest.mark.parametrize("code", CODES)
def test_good_case_is_quiet(code: str, tmp_path) -> None:
    case = CASES[code]
    report = run_case(case.good(tmp_path), probe=getattr(case, "PROBE", True))
    assert not report.findings, report.format_findings()
