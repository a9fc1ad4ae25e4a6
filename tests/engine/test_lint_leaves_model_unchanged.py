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


def _configs(model) -> dict[str, object]:
    """Every config the model carries, as plain values: the model config, generation config, LoRA configs."""
    out: dict[str, object] = {"config": model.config.to_dict()}
    generation = getattr(model, "generation_config", None)
    if generation is not None:
        out["generation_config"] = generation.to_dict()
    for name, config in model.peft_config.items():
        out[f"peft_config.{name}"] = config.to_dict()
    return out


@pytest.mark.parametrize(
    "build, batch",
    [
        pytest.param(
            lambda: lora(bert_classifier(), target_modules=["query", "value"], task_type="SEQ_CLS"),
            None,
            id="bert-classifier-problem-type",
        ),
        pytest.param(
            lambda: lora(bert_classifier(), target_modules=["query", "value"], task_type="SEQ_CLS"),
            {"input_ids": torch.randint(0, 128, (2, 8)), "labels": torch.tensor([0, 2])},
            id="bert-classifier-user-batch",
        ),
        pytest.param(lambda: lora(llama()), None, id="llama-generation-config"),
    ],
)
def test_lint_leaves_every_config_field_unchanged(build, batch) -> None:
    # a sequence classifier's first loss sets config.problem_type, which then decides every later loss
    model = build()
    before = _configs(model)
    report = lint(model, batch=batch)
    assert not any("probe" in n.message for n in report.notes), report.notes  # the forward did run
    assert _configs(model) == before


def test_a_multi_label_step_after_lint_uses_the_multi_label_loss() -> None:
    model = lora(bert_classifier(), target_modules=["query", "value"], task_type="SEQ_CLS")
    lint(model)
    labels = torch.tensor([[1.0, 0.0, 1.0], [0.0, 1.0, 0.0]])
    out = model(input_ids=torch.randint(0, 128, (2, 8)), labels=labels)  # float multi-hot labels
    assert model.config.problem_type == "multi_label_classification"
    assert torch.isfinite(out.loss)
