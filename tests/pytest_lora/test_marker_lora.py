"""``@pytest.mark.lora(select=, ignore=, fail_on=, device=)``: per-test settings of the ``lora_lint`` fixture."""

from __future__ import annotations

import pytest

BUILD_WRONG_TARGET = """
    import pytest
    import lora_models

    def lint_wrong_target(lora_lint):
        model = lora_models.model(target_modules=["q_proj", "v_prj"])
        lora_lint(model, probe=False).assert_clean()
"""


def test_the_marker_is_registered_with_its_signature_so_strict_markers_passes(lora_pytester: pytest.Pytester) -> None:
    lora_pytester.makepyfile(
        """
        import pytest

        @pytest.mark.lora(select=["LORA1"], ignore=["LORA105"], fail_on="warning", device="cpu")
        def test_marked(lora_lint):
            assert lora_lint.settings.select == ("LORA1",)
        """
    )
    lora_pytester.runpytest("--strict-markers").assert_outcomes(passed=1)
    lora_pytester.runpytest("--markers").stdout.fnmatch_lines(
        ["@pytest.mark.lora(select=None, ignore=None, fail_on=None, device=None): *"]
    )


def test_ignore_in_the_marker_silences_a_finding_for_that_test_only(lora_pytester: pytest.Pytester) -> None:
    lora_pytester.makepyfile(
        BUILD_WRONG_TARGET
        + """
    @pytest.mark.lora(ignore=["LORA101"])
    def test_ignored(lora_lint):
        lint_wrong_target(lora_lint)

    def test_unmarked(lora_lint):
        lint_wrong_target(lora_lint)
    """
    )
    result = lora_pytester.runpytest()
    result.assert_outcomes(passed=1, failed=1)
    result.stdout.fnmatch_lines(["FAILED *::test_unmarked*"])


def test_select_in_the_marker_runs_only_those_rules(lora_pytester: pytest.Pytester) -> None:
    lora_pytester.makepyfile(
        BUILD_WRONG_TARGET
        + """
    @pytest.mark.lora(select="LORA2,LORA3")
    def test_other_families(lora_lint):
        lint_wrong_target(lora_lint)
    """
    )
    lora_pytester.runpytest().assert_outcomes(passed=1)


def test_fail_on_in_the_marker_wins_over_the_command_line(lora_pytester: pytest.Pytester) -> None:
    lora_pytester.makepyfile(
        BUILD_WRONG_TARGET
        + """
    @pytest.mark.lora(fail_on="never")
    def test_lenient(lora_lint):
        lint_wrong_target(lora_lint)

    @pytest.mark.lora(fail_on="error")
    def test_strict(lora_lint):
        lint_wrong_target(lora_lint)
    """
    )
    result = lora_pytester.runpytest("--lora-fail-on=never")
    result.assert_outcomes(passed=1, failed=1)
    result.stdout.fnmatch_lines(["FAILED *::test_strict*"])


def test_the_closest_marker_wins_over_class_and_module_markers(lora_pytester: pytest.Pytester) -> None:
    lora_pytester.makepyfile(
        BUILD_WRONG_TARGET
        + """
    pytestmark = pytest.mark.lora(fail_on="error", device="cpu")

    @pytest.mark.lora(fail_on="never")
    class TestLenient:
        def test_from_class(self, lora_lint):
            assert lora_lint.settings.device == "cpu"
            lint_wrong_target(lora_lint)

        @pytest.mark.lora(fail_on="error")
        def test_from_function(self, lora_lint):
            lint_wrong_target(lora_lint)
    """
    )
    result = lora_pytester.runpytest()
    result.assert_outcomes(passed=1, failed=1)
    result.stdout.fnmatch_lines(["FAILED *::TestLenient::test_from_function*"])


@pytest.mark.parametrize(
    ("marker", "message"),
    [
        ('fail_on="sometimes"', "*@pytest.mark.lora: fail-on must be one of error, warning, info, never*"),
        ('failon="never"', "*@pytest.mark.lora(select=..., ignore=..., fail_on=..., device=...) got unknown argument(s) failon*"),
        ('"LORA101"', "*takes keyword arguments only, got ('LORA101',)*"),
        ('device="gpu"', "*@pytest.mark.lora: device must be auto, cpu, cuda or cuda:N, not 'gpu'*"),
    ],
)
def test_a_wrong_marker_errors_the_test_with_a_message_naming_the_argument(
    lora_pytester: pytest.Pytester, marker: str, message: str
) -> None:
    lora_pytester.makepyfile(
        f"""
        import pytest

        @pytest.mark.lora({marker})
        def test_marked(lora_lint):
            pass
        """
    )
    result = lora_pytester.runpytest()
    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines([message])
    result.stdout.no_fnmatch_line("*state.py*")
