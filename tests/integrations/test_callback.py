"""``LoraLintCallback`` on real 3-step Trainer runs: planted bugs stop the run, a correct run is untouched."""

from __future__ import annotations

import logging
import os
import subprocess
import sys

import pytest

from lora_lint import LintFailed
from lora_lint.errors import UsageError
from lora_lint.integrations.transformers import LoraLintCallback
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


def test_a_leftover_unfrozen_base_stops_the_run_at_train_begin(tmp_path, caplog) -> None:
    guard = LoraLintCallback(on_error="stop")
    run = trainer(tmp_path, model=lora_model(unfrozen_base=True), callbacks=[guard], logging_steps=1)
    with caplog.at_level(logging.ERROR, logger="lora_lint"):
        run.train()
    assert run.state.global_step == 1  # "stop" ends training after the step under way
    assert {"LORA201"} <= guard.reports[0].codes
    assert "training stops" in caplog.text


@pytest.mark.parametrize("on_error", ["raise", "stop"])
def test_a_leftover_unfrozen_base_is_lora407_after_the_first_step(tmp_path, on_error: str) -> None:
    # LORA201 (trainable) and LORA404 (gets gradient) stop the run at train begin: ignored here, the
    # first-step check is the one that sees the base weight change
    guard = LoraLintCallback(on_error=on_error, ignore=["LORA201", "LORA404"])
    run = trainer(tmp_path, model=lora_model(unfrozen_base=True), callbacks=[guard])
    if on_error == "raise":
        with pytest.raises(LintFailed, match="LORA407") as failed:
            run.train()
        assert "model.layers.0.mlp.down_proj.weight" in str(failed.value)
        assert run.state.global_step == 0
    else:
        run.train()
        assert run.state.global_step == 1
    assert guard.first_step_facts is not None
    assert guard.first_step_facts.changed_base == ("base_model.model.model.layers.0.mlp.down_proj.weight",)
    assert guard.reports[-1].codes == {"LORA407"}


def test_masked_labels_raise_at_train_begin_before_any_step(tmp_path) -> None:
    run = trainer(tmp_path, mask_labels=True, callbacks=[LoraLintCallback()])
    with pytest.raises(LintFailed) as failed:
        run.train()
    # a batch that supervises no token gives the probe nothing to judge: the root cause alone, and a note
    assert failed.value.report.codes == {"LORA701"}
    assert any("probe skipped: the batch supervises no token" in n.message for n in failed.value.report.notes)
    assert "every row of the batch (4 of 4)" in str(failed.value)
    assert run.state.global_step == 0


def test_masked_labels_stop_the_run(tmp_path) -> None:
    guard = LoraLintCallback(on_error="stop")
    run = trainer(tmp_path, mask_labels=True, callbacks=[guard])
    run.train()
    assert "LORA701" in guard.reports[0].codes and run.state.global_step == 1


def test_the_callback_reads_the_tokenizer_and_arguments_as_a_trainer_target_does(tmp_path) -> None:
    from lora_lint import lint
    from tests.trainers import sft_trainer

    # pad = EOS in the tokenizer only: the tiny model's config names other ids, so only the tokenizer shows it
    target = sft_trainer(tmp_path / "target", pad_is_eos=True)
    expected = lint(target, probe=False)
    assert expected.codes == {"LORA702"}, expected.format_findings()
    guard = LoraLintCallback(on_error="stop", fail_on="warning")
    run = sft_trainer(tmp_path / "run", pad_is_eos=True, callbacks=[guard])
    run.train()
    assert run.state.global_step == 1
    assert [(f.code, f.message) for f in guard.reports[0].findings] == [(f.code, f.message) for f in expected.findings]
    assert "from the tokenizer" in guard.reports[0].findings[0].message


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


def _hooks(model) -> int:
    return sum(len(m._forward_hooks) + len(m._forward_pre_hooks) + len(m._backward_hooks) for m in model.modules()) + sum(
        len(p._backward_hooks or {}) for p in model.parameters()
    )


@pytest.mark.skipif(
    not os.environ.get("LORA_LINT_COMPILE_TESTS"),
    reason="compiling the tiny Llama takes about 3 minutes on a 2-core CPU; LORA_LINT_COMPILE_TESTS=1 runs it",
)
def test_a_compiled_model_is_checked_through_its_wrapper_and_left_without_hooks(tmp_path, caplog) -> None:
    import torch

    model = lora_model(unfrozen_base=True)
    hooks = _hooks(model)
    compiled = torch.compile(model)
    guard = LoraLintCallback(on_error="warn", ignore=["LORA201", "LORA404"])
    # the compiled wrapper's forward(*args, **kwargs) names no column: keep them all
    run = trainer(tmp_path, model=compiled, callbacks=[guard], remove_unused_columns=False)
    with caplog.at_level(logging.WARNING, logger="lora_lint"):
        run.train()
    assert run.state.global_step == 3
    facts = guard.first_step_facts
    assert facts is not None and facts.layers == 4 and not facts.stale  # LORA406 read every adapter layer
    assert facts.changed_base == ("base_model.model.model.layers.0.mlp.down_proj.weight",)
    assert guard.reports[1].codes == {"LORA407"}
    assert _hooks(model) == hooks


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
