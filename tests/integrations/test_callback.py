"""``LoraLintCallback`` on real 3-step Trainer runs: planted bugs stop the run, a correct run is untouched."""

from __future__ import annotations

import logging
import subprocess
import sys

import pytest

from lora_lint import LintFailed
from lora_lint.errors import UsageError
from lora_lint.integrations.transformers import LoraLintCallback
from lora_lint.linting import Linter
from tests.callback_trainers import adapter_lr_zero_optimizer, lora_model, losses, trainer


def test_a_correct_run_finishes_with_the_losses_of_a_run_without_the_callback(tmp_path) -> None:
    plain = trainer(tmp_path)
    plain.train()
    guard = LoraLintCallback()
    guarded = trainer(tmp_path, callbacks=[guard])
    guarded.train()
    assert len(losses(plain)) == 3
    assert losses(guarded) == losses(plain)  # exactly: no gradient, RNG draw or optimizer state leaked
    assert [r.findings for r in guard.reports] == [(), ()]
    assert guard.first_step_facts is not None and guard.first_step_facts.step == 1
    assert guard.first_step_facts.layers == 4 and not guard.first_step_facts.stale


def test_lr_zero_for_the_adapters_raises_lint_failed_after_the_first_step(tmp_path) -> None:
    model = lora_model()
    run = trainer(tmp_path, model=model, optimizer=adapter_lr_zero_optimizer(model), callbacks=[LoraLintCallback()])
    with pytest.raises(LintFailed) as failed:
        run.train()
    assert isinstance(failed.value, RuntimeError)
    assert failed.value.report.codes == {"LORA406"}
    assert "learning rate 0" in str(failed.value)
    assert run.state.global_step == 0  # raised inside the first optimizer step, before the step was counted


def test_a_leftover_unfrozen_base_stops_the_run(tmp_path, caplog) -> None:
    guard = LoraLintCallback(on_error="stop")
    run = trainer(tmp_path, model=lora_model(unfrozen_base=True), callbacks=[guard], logging_steps=1)
    with caplog.at_level(logging.ERROR, logger="lora_lint"):
        run.train()
    assert run.state.global_step < 3
    assert {"LORA201"} <= guard.reports[0].codes
    assert "training stops" in caplog.text


def test_masked_labels_stop_the_run(tmp_path) -> None:
    if "LORA701" not in Linter().registry.rules:
        pytest.skip("LORA701 labels-unsupervised is not registered")
    guard = LoraLintCallback(on_error="stop")
    run = trainer(tmp_path, mask_labels=True, callbacks=[guard])
    run.train()
    assert "LORA701" in guard.reports[0].codes and run.state.global_step < 3


def test_warn_logs_and_a_warmup_from_lr_zero_is_checked_at_the_first_step_with_a_rate(tmp_path, caplog) -> None:
    guard = LoraLintCallback(on_error="warn", fail_on="warning")
    run = trainer(
        tmp_path, model=lora_model(unfrozen_base=True), callbacks=[guard],
        warmup_steps=1, lr_scheduler_type="linear", gradient_accumulation_steps=2,
    )
    with caplog.at_level(logging.WARNING, logger="lora_lint"):
        run.train()
    assert run.state.global_step == 3
    facts = guard.first_step_facts
    assert facts is not None and facts.step == 2 and max(facts.rates) > 0
    assert "LORA407" in guard.reports[1].codes
    assert "LORA407 [error] base-updated" in caplog.text


def test_an_internal_error_is_a_warning_and_the_run_goes_on(tmp_path, caplog, monkeypatch) -> None:
    from lora_lint.facts import first_step

    def broken(self):
        raise KeyError("boom")

    monkeypatch.setattr(first_step.StepWatch, "before", broken)
    run = trainer(tmp_path, callbacks=[LoraLintCallback()])
    with caplog.at_level(logging.WARNING, logger="lora_lint"):
        run.train()
    assert run.state.global_step == 3
    assert "fingerprinting the weights failed (KeyError" in caplog.text


def test_select_and_ignore_and_a_bad_on_error() -> None:
    assert LoraLintCallback(ignore=["LORA406"])._step_codes() == ["LORA407"]
    assert LoraLintCallback(select=["LORA2"])._step_codes() == []
    with pytest.raises(UsageError, match="on_error"):
        LoraLintCallback(on_error="explode")
    with pytest.raises(UsageError, match="fail-on"):
        LoraLintCallback(fail_on="sometimes")


def test_lint_failed_is_exported_without_importing_torch() -> None:
    code = "import sys, lora_lint; assert issubclass(lora_lint.LintFailed, RuntimeError); assert 'torch' not in sys.modules"
    subprocess.run([sys.executable, "-c", code], check=True)
