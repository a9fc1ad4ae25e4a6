"""The session header names lora-lint, torch, transformers, peft and bitsandbytes versions and the device."""

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

    pytester.makepyfile("def test_nothing():\n    pass\n")
    libs = ", ".join(f"{n} {_version(n)}" for n in ("torch", "transformers", "peft", "bitsandbytes"))
    result = pytester.runpytest("--lora-device=cpu", "--lora-fail-on=warning")
    result.stdout.fnmatch_lines(
        [f"lora-lint {lora_lint.__version__} -- {libs} -- device cpu, probe on, fail-on warning"]
    )


def test_with_device_auto_the_header_says_what_auto_resolved_to(pytester: pytest.Pytester) -> None:
    import torch

    pytester.makepyfile("def test_nothing():\n    pass\n")
    resolved = "cuda:0 (*)" if torch.cuda.is_available() else "cpu"
    pytester.runpytest().stdout.fnmatch_lines([f"lora-lint * -- device {resolved} (--lora-device auto), probe on*"])


def test_quiet_runs_print_no_header(pytester: pytest.Pytester) -> None:
    pytester.makepyfile("def test_nothing():\n    pass\n")
    loud = pytester.runpytest("--lora-device=cpu")
    loud.stdout.fnmatch_lines(["lora-lint * -- device cpu, *"])  # the same session prints it without -q
    quiet = pytester.runpytest("-q", "--lora-device=cpu")  # an unknown option would be a usage error: the plugin is active
    quiet.assert_outcomes(passed=1)
    quiet.stdout.no_fnmatch_line("lora-lint * -- device *")


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
