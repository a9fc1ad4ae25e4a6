"""Zero-code mode: ``lora_factories`` in the ini file collects one test item per factory, running the full lint."""

from __future__ import annotations

import textwrap

import pytest

FACTORIES = """
    import lora_models

    def good():
        return lora_models.model(), lora_models.batch()

    def bad():
        return lora_models.model(target_modules=["q_proj", "v_prj"])
"""


@pytest.fixture
def factories(lora_pytester: pytest.Pytester) -> pytest.Pytester:
    lora_pytester.makepyfile(factories=FACTORIES)
    lora_pytester.makeini("[pytest]\nlora_factories =\n    factories.py:good\n    factories:bad\n")
    return lora_pytester


def test_each_factory_is_one_item_that_passes_or_fails_with_the_findings(factories: pytest.Pytester) -> None:
    result = factories.runpytest("-v")
    result.assert_outcomes(passed=1, failed=1)
    result.stdout.fnmatch_lines(["tox.ini::factories.py:good PASSED*", "tox.ini::factories:bad FAILED*"])
    result.stdout.fnmatch_lines(
        [
            "*_ lora-lint factories:bad _*",
            "lora-lint found 1 problem(s) at or above error:",
            "LORA101 [[]error[]] target-unmatched at *factories.py* target_modules: 'v_prj'",
            "*fix: Closest real names: v_proj*",
        ]
    )
    result.stdout.no_fnmatch_line("*Traceback*")


def test_the_items_are_collected_beside_testpaths(factories: pytest.Pytester) -> None:
    factories.mkdir("tests").joinpath("test_plain.py").write_text("def test_plain():\n    pass\n")
    factories.makeini("[pytest]\ntestpaths = tests\nlora_factories = factories.py:good\n")
    result = factories.runpytest("--collect-only", "-q")
    result.stdout.fnmatch_lines(["tests/test_plain.py::test_plain", "tox.ini::factories.py:good", "2 tests collected*"])
    factories.runpytest().assert_outcomes(passed=2)


def test_naming_a_test_file_runs_only_that_file(factories: pytest.Pytester) -> None:
    factories.makepyfile(test_plain="def test_plain():\n    pass\n")
    factories.runpytest("test_plain.py").assert_outcomes(passed=1)
    factories.runpytest("tox.ini::factories:bad").assert_outcomes(failed=1)


def test_keyword_selection_and_options_apply_to_factory_items(factories: pytest.Pytester) -> None:
    factories.runpytest("-k", "good").assert_outcomes(passed=1, deselected=1)
    factories.runpytest("--lora-fail-on=never").assert_outcomes(passed=2)


def test_a_factory_that_cannot_be_loaded_fails_with_one_line(factories: pytest.Pytester) -> None:
    factories.makeini("[pytest]\nlora_factories = factories.py:missing\n")
    result = factories.runpytest()
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(["cannot load factories.py:missing: *missing*"])
    result.stdout.no_fnmatch_line("*Traceback*")


def test_factories_in_pyproject_are_read_relative_to_it(lora_pytester: pytest.Pytester) -> None:
    lora_pytester.mkdir("setups").joinpath("build.py").write_text(textwrap.dedent(FACTORIES))
    lora_pytester.makepyprojecttoml('[tool.pytest.ini_options]\nlora_factories = ["setups/build.py:bad"]\n')
    result = lora_pytester.runpytest()
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(["*LORA101 *target_modules: 'v_prj'*"])


def test_without_the_ini_key_nothing_extra_is_collected(lora_pytester: pytest.Pytester) -> None:
    lora_pytester.makeini("[pytest]\n")
    lora_pytester.makepyfile(test_plain="def test_plain():\n    pass\n")
    lora_pytester.runpytest().assert_outcomes(passed=1)
