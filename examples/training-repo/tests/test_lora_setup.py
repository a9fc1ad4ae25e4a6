"""Pins the LoRA setup of train.py: it trains what we think it trains, before any GPU hour is spent."""

from __future__ import annotations

import pytest
import train

from pytest_lora import (
    assert_adapters_receive_grad,
    assert_adapters_trainable,
    assert_alpha_ratio,
    assert_base_frozen,
    assert_matches_lock,
    assert_scaling_consistent,
    assert_targets_matched,
)


@pytest.fixture
def setup():
    return train.build()


def test_the_whole_setup_is_clean(lora_lint, setup):
    model, batch = setup
    lora_lint(model, batch).assert_clean()


def test_every_target_module_matches_a_layer(setup):
    model, _ = setup
    assert_targets_matched(model)


def test_only_the_adapters_train(setup):
    model, _ = setup
    assert_base_frozen(model)
    assert_adapters_trainable(model)


def test_the_scale_is_what_we_tuned(setup):
    model, _ = setup
    assert_alpha_ratio(model, low=1, high=4)  # alpha 16 / r 8 = 2
    assert_scaling_consistent(model)


def test_every_adapter_receives_gradient(setup):
    model, batch = setup
    assert_adapters_receive_grad(model, batch)


def test_the_config_is_still_the_one_we_recorded(setup):
    # lora.lock.json sits next to this file; `pytest --lora-update-locks` re-records it on purpose
    model, _ = setup
    assert_matches_lock(model, "lora.lock.json")


@pytest.mark.lora(fail_on="warning")
def test_no_warnings_either(lora_lint, setup):
    model, batch = setup
    lora_lint(model, batch, probe=False).assert_clean()
