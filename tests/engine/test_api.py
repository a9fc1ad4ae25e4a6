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


def test_the_probes_rules_ran_only_where_the_probe_ran_its_forward_and_backward() -> None:
    """A probe that was skipped or could build no inputs judged nothing: a note says so, and its quiet rules are
    not among those that ran (a rule that did find something, as LORA402 on a failed forward, did run)."""
    import torch

    from tests.rules.precision_models import attention
    from tests.tiny_models import mlp

    ids = torch.arange(16).reshape(2, 8)
    probe_rules = {"LORA401", "LORA402", "LORA403", "LORA404"}
    supervised = lint(lora(llama()), batch={"input_ids": ids, "labels": ids})
    assert probe_rules <= set(supervised.ran)
    unsupervised = lint(lora(llama()), batch={"input_ids": ids, "labels": torch.full_like(ids, -100)})
    assert any(n.message.startswith("probe skipped: the batch supervises no token") for n in unsupervised.notes)
    assert not probe_rules & set(unsupervised.ran) and "LORA101" in unsupervised.ran
    no_inputs = lint(lora(attention(), target_modules=["mha"], task_type=None))  # no input lora-lint can build
    assert [n.code for n in no_inputs.notes if n.code] == ["LORA402"], no_inputs.notes
    assert not probe_rules & set(no_inputs.ran)
    broken = lint(lora(mlp(), target_modules=["lin0"], task_type=None), batch=torch.randn(2, 3))
    assert {f.code for f in broken.findings} == {"LORA402"}, broken.format_findings()
    assert "LORA402" in broken.ran and not {"LORA401", "LORA403", "LORA404"} & set(broken.ran)
