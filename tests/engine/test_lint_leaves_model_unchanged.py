"""Linting never changes the user's model: values, requires_grad, grads, modes, adapters, hooks, RNG."""

from __future__ import annotations

import pytest
import torch

from lora_lint import lint
from tests.state import assert_unchanged, snapshot
from tests.tiny_models import bert_classifier, llama, lora


def _trained_a_bit(model):
    model.train()
    ids = torch.randint(0, 128, (2, 8))
    model(input_ids=ids, labels=ids).loss.backward()
    return model


@pytest.mark.parametrize(
    "build",
    [
        pytest.param(lambda: lora(llama()), id="llama-fresh-eval"),
        pytest.param(lambda: _trained_a_bit(lora(llama())), id="llama-train-mode-with-grads"),
        pytest.param(lambda: lora(bert_classifier(), target_modules=["query", "value"], task_type="SEQ_CLS"), id="bert"),
    ],
)
def test_lint_leaves_every_observable_state_of_the_model_unchanged(build) -> None:
    model = build()
    torch.manual_seed(7)
    before = snapshot(model)
    lint(model)
    assert_unchanged(before, snapshot(model))


def test_lint_leaves_a_disabled_adapter_disabled() -> None:
    model = lora(llama())
    with model.disable_adapter():
        before = snapshot(model)
        lint(model)
        assert_unchanged(before, snapshot(model))
