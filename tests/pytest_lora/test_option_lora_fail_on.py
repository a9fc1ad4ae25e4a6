"""``--lora-fail-on`` / ini ``lora_fail_on`` / ``[tool.lora-lint] fail-on`` set what ``assert_clean()`` fails on."""

from __future__ import annotations

import pytest

WRONG_TARGET = """
    import lora_models

    def test_setup(lora_lint):
        model = lora_models.model(target_modules=["q_proj", "v_prj"])
        lora_lint(model, probe=False).assert_clean()
"""


def test_an_error_fails_by_default(lora_pytester: pytest.Pytester) -> None:
    lora_pytester.makepyfile(WRONG_TARGET)
    lora_pytester.runpytest().assert_outcomes(failed=1)


def test_fail_on_never_lets_an_error_pass(lora_pytester: pytest.Pytester) -> None:
    lora_pytester.makepyfile(WRONG_TARGET)
    lora_pytester.runpytest("--lora-fail-on=never").assert_outcomes(passed=1)


def test_the_ini_key_sets_the_threshold_and_the_option_wins_over_it(lora_pytester: pytest.Pytester) -> None:
    lora_pytester.makeini("[pytest]\nlora_fail_on = never\n")
    lora_pytester.makepyfile(WRONG_TARGET)
    lora_pytester.runpytest().assert_outcomes(passed=1)
    lora_pytester.runpytest("--lora-fail-on=error").assert_outcomes(failed=1)


def test_pyproject_fail_on_applies_and_the_ini_key_wins_over_it(lora_pytester: pytest.Pytester) -> None:
    lora_pytester.makepyprojecttoml('[tool.lora-lint]\nfail-on = "never"\n')
    lora_pytester.makepyfile(WRONG_TARGET)
    lora_pytester.runpytest().assert_outcomes(passed=1)
    lora_pytester.makepyprojecttoml('[tool.pytest.ini_options]\nlora_fail_on = "error"\n[tool.lora-lint]\nfail-on = "never"\n')
    lora_pytester.runpytest().assert_outcomes(failed=1)


def test_a_threshold_passed_to_assert_clean_wins_over_the_option(lora_pytester: pytest.Pytester) -> None:
    lora_pytester.makepyfile(
        """
        import lora_models

        def test_setup(lora_lint):
            assert lora_lint.fail_on == "never"
            model = lora_models.model(target_modules=["q_proj", "v_prj"])
            lora_lint(model, probe=False).assert_clean("error")
        """
    )
    lora_pytester.runpytest("--lora-fail-on=never").assert_outcomes(failed=1)


def test_an_unknown_ini_threshold_is_a_usage_error_naming_the_key(lora_pytester: pytest.Pytester) -> None:
    lora_pytester.makeini("[pytest]\nlora_fail_on = sometimes\n")
    lora_pytester.makepyfile(WRONG_TARGET)
    result = lora_pytester.runpytest()
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["*lora_fail_on must be one of error, warning, info, never, not 'sometimes'*"])


def test_an_unknown_option_value_is_refused_by_pytest(lora_pytester: pytest.Pytester) -> None:
    result = lora_pytester.runpytest("--lora-fail-on=sometimes")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["*--lora-fail-on: invalid choice: 'sometimes'*"])


def test_a_warning_passes_by_default_and_fails_at_fail_on_warning(lora_pytester: pytest.Pytester) -> None:
    lora_pytester.makepyfile(
        """
        import lora_models

        def test_setup(lora_lint):
            report = lora_lint(lora_models.model(r=2, lora_alpha=64), probe=False)
            assert "LORA301" in report.codes
            report.assert_clean()
        """
    )
    lora_pytester.runpytest().assert_outcomes(passed=1)
    result = lora_pytester.runpytest("--lora-fail-on=warning")
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(["E * lora-lint found 1 problem(s) at or above warning:", "E * LORA301 *"])
