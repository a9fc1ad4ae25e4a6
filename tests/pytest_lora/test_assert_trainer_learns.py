"""``assert_trainer_learns``: one real step on a real Trainer, checked by LORA406/407, then undone."""

from __future__ import annotations

import pytest
import torch

from pytest_lora import assert_trainer_learns
from tests.callback_trainers import adapter_lr_zero_optimizer, lora_model, losses, trainer


def _snapshot(run):
    model = run.model
    return (
        {n: p.detach().clone() for n, p in model.named_parameters()},
        {n: p.grad for n, p in model.named_parameters()},
        torch.get_rng_state(),
        run.state.global_step,
        model.training,
    )


def test_a_correct_trainer_passes_and_trains_afterwards_as_if_unchecked(tmp_path) -> None:
    plain = trainer(tmp_path)
    plain.train()
    run = trainer(tmp_path)
    weights, grads, rng, step, mode = _snapshot(run)
    assert_trainer_learns(run)
    after = _snapshot(run)
    assert all(torch.equal(weights[n], after[0][n]) for n in weights)
    assert after[1] == grads and torch.equal(after[2], rng) and after[3:] == (step, mode)
    assert run.optimizer is None  # built again by train() from the same arguments
    run.train()
    assert losses(run) == losses(plain)


def test_lr_zero_for_the_adapters_fails_naming_the_layers_and_restores_the_optimizer(tmp_path) -> None:
    model = lora_model()
    optimizer = adapter_lr_zero_optimizer(model)
    run = trainer(tmp_path, model=model, optimizer=optimizer)
    with pytest.raises(AssertionError, match=r"LORA406.*\n.*model\.layers\.0\.self_attn\.q_proj") as failed:
        assert_trainer_learns(run)
    assert "learning rate 0" in str(failed.value)
    assert optimizer.state_dict()["state"] == {} and [g["lr"] for g in optimizer.param_groups] == [0.0, 1e-3]
    assert all(torch.count_nonzero(p) == 0 for n, p in model.named_parameters() if "lora_B" in n)


def test_an_unfrozen_base_fails_with_lora407(tmp_path) -> None:
    run = trainer(tmp_path, model=lora_model(unfrozen_base=True))
    with pytest.raises(AssertionError, match="LORA407"):
        assert_trainer_learns(run)


def test_a_trainer_whose_every_group_has_lr_zero_cannot_be_checked(tmp_path) -> None:
    run = trainer(tmp_path, learning_rate=0.0)
    with pytest.raises(AssertionError, match="learning rate 0: a step changes nothing"):
        assert_trainer_learns(run)
