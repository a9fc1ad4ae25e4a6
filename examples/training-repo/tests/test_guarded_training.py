"""train_guarded.py: the guarded run trains, and the same run with the base left unfrozen is stopped."""

from __future__ import annotations

import pytest
import train_guarded
from peft import get_peft_model

from lora_lint import LintFailed
from train import LORA, build_base


def test_the_guard_lets_a_correct_run_train_and_stops_an_unfrozen_base(tmp_path):
    run = train_guarded.build_trainer(out=str(tmp_path / "ok"))
    run.train()
    assert run.state.global_step == 3

    model = get_peft_model(build_base(), LORA)
    model.base_model.model.lm_head.weight.requires_grad_(True)  # the planted bug: a base weight left trainable
    broken = train_guarded.build_trainer(out=str(tmp_path / "broken"), model=model)
    with pytest.raises(LintFailed) as failed:
        broken.train()
    assert "LORA201" in failed.value.report.codes
    assert broken.state.global_step == 0
