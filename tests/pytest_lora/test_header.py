"""The settings line names lora-lint, torch, transformers, peft and bitsandbytes versions and the device.

It is shown only in sessions that use lora-lint: up front with ``lora_factories``, else in the summary.
"""

from __future__ import annotations

from importlib import metadata

import pytest


def _version(name: str) -> str:
    try:
        return metadata.version(name)
    except metadata.PackageNotFoundError:
        return "not installed"


def test_the_header_names_every_library_version_and_the_settings(pytester: pytest.Pytester) -> None:
    import lora_lint

    pytester.makepyfile("def test_lint(lora_lint):\n    pass\n")
    libs = ", ".join(f"{n} {_version(n)}" for n in ("torch", "transformers", "peft", "bitsandbytes"))
    result = pytester.runpytest("--lora-device=cpu", "--lora-fail-on=warning")
    result.stdout.fnmatch_lines(
        [f"lora-lint {lora_lint.__version__} -- {libs} -- device cpu, probe on, fail-on warning"]
    )


def test_with_device_auto_the_header_says_what_auto_resolved_to(pytester: pytest.Pytester) -> None:
    import torch

    pytester.makepyfile("def test_lint(lora_lint):\n    pass\n")
    resolved = "cuda:0 (*)" if torch.cuda.is_available() else "cpu"
    pytester.runpytest().stdout.fnmatch_lines([f"lora-lint * -- device {resolved} (--lora-device auto), probe on*"])


def test_quiet_runs_print_no_header(pytester: pytest.Pytester) -> None:
    pytester.makepyfile("def test_lint(lora_lint):\n    pass\n")
    loud = pytester.runpytest("--lora-device=cpu")
    loud.stdout.fnmatch_lines(["lora-lint * -- device cpu, *"])  # the same session prints it without -q
    quiet = pytester.runpytest("-q", "--lora-device=cpu")  # an unknown option would be a usage error: the plugin is active
    quiet.assert_outcomes(passed=1)
    quiet.stdout.no_fnmatch_line("lora-lint *")


def test_a_session_that_never_uses_lora_lint_prints_nothing_of_it(pytester: pytest.Pytester) -> None:
    pytester.makepyfile("def test_nothing():\n    pass\n")
    result = pytester.runpytest("--strict-markers")
    result.assert_outcomes(passed=1)
    result.stdout.no_fnmatch_line("lora-lint *")  # pytest's own "plugins: lora-lint-0.1.0" stays
    result.stdout.no_fnmatch_line("*- lora-lint -*")


def test_the_line_follows_the_tests_when_a_helper_was_used(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        """
        from pytest_lora.state import current_settings

        def test_uses_settings():
            assert current_settings().fail_on == "error"
        """
    )
    result = pytester.runpytest()
    result.assert_outcomes(passed=1)
    lines = result.stdout.lines
    collected = next(i for i, text in enumerate(lines) if text.startswith("collected"))
    shown = [i for i, text in enumerate(lines) if text.startswith("lora-lint ")]
    assert len(shown) == 1 and shown[0] > collected
    assert "lora-lint" in lines[shown[0] - 1]  # under its own separator


def test_with_lora_factories_the_line_comes_first(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(factory="def build():\n    raise RuntimeError('not built')\n")
    pytester.makeini("[pytest]\nlora_factories = factory.py:build\n")
    result = pytester.runpytest()
    lines = result.stdout.lines
    header = next(i for i, text in enumerate(lines) if text.startswith("lora-lint "))
    assert header < next(i for i, text in enumerate(lines) if text.startswith("collected"))


def test_the_plugin_imports_no_torch_until_something_needs_it(pytester: pytest.Pytester) -> None:
    # the plugin is active in every pytest session of an environment that has lora-lint installed
    pytester.makepyfile(
        """
        import sys

        def test_nothing_heavy_imported(lora_lint):
            assert lora_lint.settings.probe
            assert not {"torch", "transformers", "peft", "bitsandbytes"} & set(sys.modules)
        """
    )
    pytester.runpytest_subprocess("-q").assert_outcomes(passed=1)
