"""The ``lint()`` entry point: its keyword arguments and a Settings object combine as documented."""

from __future__ import annotations

import pytest

from lora_lint import lint
from lora_lint.errors import UsageError
from lora_lint.settings import Settings
from tests.tiny_models import llama, lora


def _notes(report) -> str:
    return "\n".join(n.message for n in report.notes)


def test_settings_passed_to_lint_are_kept_when_keywords_are_left_out() -> None:
    model = lora(llama())
    assert "needs the probe" in _notes(lint(model, settings=Settings(probe=False)))
    assert "intent=inference" in _notes(lint(model, settings=Settings(intent="inference")))


def test_keywords_override_settings() -> None:
    model = lora(llama())
    report = lint(model, probe=True, settings=Settings(probe=False))
    assert "needs the probe" not in _notes(report)


def test_rules_that_only_apply_to_saved_adapters_are_skipped_without_a_note() -> None:
    notes = _notes(lint(lora(llama()), probe=False))
    assert "LORA601" not in notes and "LORA304" not in notes


def test_lint_without_a_model_is_a_usage_error() -> None:
    with pytest.raises(UsageError, match="needs a model"):
        lint(None)


def test_a_saved_adapter_gets_a_note_for_what_it_can_fix_not_for_live_model_rules(tmp_path) -> None:
    from tests.rules.runner import run_case

    lora(llama()).save_pretrained(tmp_path)
    notes = _notes(run_case(str(tmp_path), probe=False))
    assert "pass --model" in notes
    assert "needs a model with LoRA layers" not in notes and "needs the probe" not in notes


def test_the_report_lists_the_rules_that_ran_and_not_those_skipped() -> None:
    report = lint(lora(llama()), probe=False, select=["LORA1", "LORA401", "LORA601"])
    assert "LORA101" in report.ran and "LORA104" in report.ran
    assert "LORA401" not in report.ran  # needs the probe, which is off
    assert "LORA601" not in report.ran  # needs a saved adapter
    assert lint(lora(llama()), probe=False, intent="inference", select=["LORA202"]).ran == ()
