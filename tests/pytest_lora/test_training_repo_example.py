"""``examples/training-repo`` passes as shipped, and a copy with a wrong target name fails naming the entry."""

from __future__ import annotations

import glob
import shutil
from pathlib import Path

import pytest

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "training-repo"


@pytest.fixture
def training_repo(pytester: pytest.Pytester) -> pytest.Pytester:
    shutil.copytree(EXAMPLE, pytester.path, dirs_exist_ok=True, ignore=shutil.ignore_patterns("__pycache__", "adapter"))
    return pytester


def test_the_example_suite_passes_including_its_factory_item(training_repo: pytest.Pytester) -> None:
    result = training_repo.runpytest("-v")
    result.assert_outcomes(passed=9)
    result.stdout.fnmatch_lines(["pyproject.toml::train.py:build PASSED*"])


def test_a_wrong_target_name_fails_the_suite_naming_the_entry_and_the_real_name(training_repo: pytest.Pytester) -> None:
    train = training_repo.path / "train.py"
    source = train.read_text()
    assert '"k_proj", "v_proj"' in source
    train.write_text(source.replace('"k_proj", "v_proj"', '"k_proj", "value"'))
    result = training_repo.runpytest()
    result.assert_outcomes(passed=3, failed=6)
    result.stdout.fnmatch_lines(
        [
            "*_ lora-lint train.py:build _*",
            "LORA101 [[]error[]] target-unmatched at train.py:* target_modules: 'value'",
            "    target_modules entry 'value' matches no module of LlamaForCausalLM",
            "    fix: Closest real names: v_proj.",
        ]
    )
    result.stdout.fnmatch_lines(
        [
            "*_ test_every_target_module_matches_a_layer _*",
            "E   AssertionError: assert_targets_matched: 1 problem(s) in <PeftModelForCausalLM>",
            "E   LORA101 [[]error[]] target-unmatched at target_modules: 'value'",
        ]
    )


def _readme_failure_block() -> list[str]:
    """The console block under "When the setup is wrong", as fnmatch patterns ("..." skips lines)."""
    readme = (EXAMPLE / "README.md").read_text()
    section = readme.split("## When the setup is wrong", 1)[1]
    block = section.split("```console", 1)[1].split("```", 1)[0]
    return [glob.escape(line) for line in block.strip().splitlines() if line != "..." and not line.startswith("$ ")]


def test_the_readme_shows_exactly_what_the_planted_bug_prints(training_repo: pytest.Pytester) -> None:
    train = training_repo.path / "train.py"
    train.write_text(train.read_text().replace('"k_proj", "v_proj"', '"k_proj", "value"'))
    expected = _readme_failure_block()
    assert len(expected) >= 10
    training_repo.runpytest().stdout.fnmatch_lines(expected)
