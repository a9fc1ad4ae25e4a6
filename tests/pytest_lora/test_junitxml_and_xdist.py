"""Findings as junitxml properties, and ``--lora-update-locks`` across pytest-xdist workers."""

from __future__ import annotations

from xml.etree import ElementTree as ET

import pytest


def test_findings_of_the_fixture_become_junitxml_properties_of_the_test(lora_pytester: pytest.Pytester) -> None:
    lora_pytester.makepyfile(
        """
        import lora_models

        def test_wrong_target(lora_lint):
            report = lora_lint(lora_models.model(target_modules=["q_proj", "value"]), probe=False, select=["LORA101"])
            report.assert_clean()
        """
    )
    result = lora_pytester.runpytest("--junitxml=out.xml")
    result.assert_outcomes(failed=1)
    case = ET.parse(lora_pytester.path / "out.xml").getroot().find(".//testcase[@name='test_wrong_target']")
    assert case is not None
    props = {p.get("name"): p.get("value") for p in case.iter("property")}
    assert list(props) == ["lora-lint LORA101"]
    value = props["lora-lint LORA101"]
    assert value is not None and value.startswith("error: ") and "'value'" in value


def test_a_clean_report_records_no_properties(lora_pytester: pytest.Pytester) -> None:
    lora_pytester.makepyfile(
        """
        import lora_models

        def test_clean(lora_lint):
            lora_lint(lora_models.model(), probe=False, select=["LORA101"]).assert_clean()
        """
    )
    lora_pytester.runpytest("--junitxml=out.xml").assert_outcomes(passed=1)
    assert ET.parse(lora_pytester.path / "out.xml").getroot().find(".//property") is None


LOCKED_TESTS = """
    import pytest
    import lora_models
    from pytest_lora import assert_matches_lock

    @pytest.mark.parametrize("n", range(4))
    def test_shared_lock(n):
        assert_matches_lock(lora_models.model(r=8, lora_alpha=16), "locks/shared.lock.json")

    def test_own_lock():
        assert_matches_lock(lora_models.model(r=4, lora_alpha=8), "locks/own.lock.json")
"""


def test_update_locks_under_xdist_writes_each_lock_once_and_the_controller_lists_them(lora_pytester: pytest.Pytester) -> None:
    pytest.importorskip("xdist")
    lora_pytester.makepyfile(test_locked=LOCKED_TESTS)
    result = lora_pytester.runpytest_subprocess("-p", "xdist", "-n", "2", "--lora-update-locks")
    result.assert_outcomes(passed=5)
    result.stdout.fnmatch_lines(["*lora-lint: 2 lock(s) written (--lora-update-locks)*"])
    shown = sorted(line.strip() for line in result.stdout.lines if line.strip().startswith("locks/"))
    assert shown == ["locks/own.lock.json", "locks/shared.lock.json"]
    assert sorted(p.name for p in (lora_pytester.path / "locks").iterdir()) == ["own.lock.json", "shared.lock.json"]
    again = lora_pytester.runpytest_subprocess()  # one process is enough to show the written locks hold
    again.assert_outcomes(passed=5)
    again.stdout.no_fnmatch_line("*lock(s) written*")
