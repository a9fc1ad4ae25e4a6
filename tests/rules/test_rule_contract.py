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
def test_good_case_is_quiet_because_the_rule_ran(code: str, tmp_path) -> None:
    case = CASES[code]
    report = run_case(case.good(tmp_path), probe=getattr(case, "PROBE", True))
    assert not report.findings, report.format_findings()
    assert code in report.ran, f"{code} was skipped: {[str(n) for n in report.notes]}"
    cannot_judge = [str(n) for n in report.notes if n.code == code]
    assert not cannot_judge, cannot_judge


#: rules whose fix hint is a judgement, not a change a test can apply to the bad case, and why
NOT_MECHANICAL = {
    "LORA601": "the fix is to find out why training did not step (learning rate, trainable adapter, gradient)",
    "LORA602": "the fix is an earlier checkpoint or a retrain with other settings, not a change to these files",
    "LORA603": "the weights no longer fit any config: the fix is the config they were saved with, or a retrain",
    "LORA604": "the fix is a gathered ZeRO-3 / FSDP save, which needs the sharded job that wrote the files",
    "LORA606": "without --model the head's real name is unknown, so the hint asks for it; with the base it names "
               "it, and test_lora6xx_artifacts applies that hint",
    "LORA609": "the fix is a gathered save from the trained model, which needs the sharded job that wrote it",
    "LORA701": "the fix is a collator or chat template that supervises the answers: a judgement about the data",
    "LORA805": "the ranks' disagreement comes from the process group; tests/distributed runs the real job and its fix",
}


def test_every_rule_has_a_fixed_case_or_a_reason_it_has_none() -> None:
    with_fix = {code for code, case in CASES.items() if hasattr(case, "fixed")}
    assert not with_fix & set(NOT_MECHANICAL), "a rule with fixed() needs no reason"
    assert sorted(with_fix | set(NOT_MECHANICAL)) == CODES


@pytest.mark.parametrize("code", sorted(c for c, m in CASES.items() if hasattr(m, "fixed")))
def test_the_hint_applied_to_the_bad_case_lints_clean(code: str, tmp_path) -> None:
    """The bad case, changed as its findings' hints say, is quiet for the rule and trips no other warning.

    The good case is quiet (asserted above), so "no warning the good case does not have" is no warning at all.
    """
    case = CASES[code]
    probe = getattr(case, "PROBE", True)
    for folder in ("bad", "fixed"):
        (tmp_path / folder).mkdir()
    findings = run_case(case.bad(tmp_path / "bad"), probe=probe).by_code(code)
    assert findings
    fixed = run_case(case.fixed(tmp_path / "fixed", findings), probe=probe)
    assert code in fixed.ran and code not in fixed.codes, fixed.format_findings()
    assert not fixed.at_least("warning"), fixed.format_findings()
