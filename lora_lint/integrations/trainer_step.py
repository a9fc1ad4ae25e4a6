"""One real optimizer step on a ``Trainer``, measured by fingerprints and then undone.

``assert_trainer_learns`` runs it: the trainer's own loss on its own first batch, its own optimizer
(created the way ``train()`` creates it when it has none yet), then weights, gradients, optimizer
state, RNG, train/eval mode and ``trainer.state`` put back as they were.
"""

from __future__ import annotations

import copy
from typing import Any

from lora_lint.errors import UsageError
from lora_lint.facts.first_step import FirstStepFacts, StepWatch, group_rates, innermost_optimizer
from lora_lint.integrations.peek import peek_batch, rng_kept, unwrap_model


def measure_first_step(trainer: Any) -> FirstStepFacts:
    """Take one optimizer step on ``trainer`` and report what it changed; the trainer is left as it was."""
    import torch

    if getattr(trainer, "train_dataset", None) is None:
        raise UsageError("the trainer has no train_dataset: a step needs a training batch")
    model = unwrap_model(trainer.model)
    created = trainer.optimizer is None
    if created:
        trainer.create_optimizer()  # the way train() builds it from the arguments
    optimizer = trainer.optimizer
    if max(group_rates(innermost_optimizer(optimizer)), default=0.0) <= 0:
        _drop_optimizer(trainer, created)
        raise UsageError("every param group of the trainer's optimizer has learning rate 0: a step changes nothing")
    state = copy.deepcopy(trainer.state)
    optimizer_state = copy.deepcopy(optimizer.state_dict())
    trainable = [p for p in model.parameters() if p.requires_grad]
    weights = [p.detach().clone() for p in trainable]
    grads = [(p, p.grad) for p in model.parameters()]
    mode = model.training
    try:
        with rng_kept():
            batch = peek_batch(trainer.get_train_dataloader())
            if batch is None:
                raise UsageError("the trainer's data loader yields no batch")
            inputs = trainer._prepare_inputs(batch)  # a transformers internal: device placement as in training
            watch = StepWatch(model, optimizer)
            model.train()
            for p in trainable:
                p.grad = None
            with torch.enable_grad():
                loss = trainer.compute_loss(trainer.model, inputs)
                loss.backward()
            watch.before()
            optimizer.step()
            return watch.after(1)
    finally:
        with torch.no_grad():
            for p, saved in zip(trainable, weights):
                p.copy_(saved)
        for p, grad in grads:
            p.grad = grad
        optimizer.load_state_dict(optimizer_state)
        trainer.state = state
        model.train(mode)
        _drop_optimizer(trainer, created)


def _drop_optimizer(trainer: Any, created: bool) -> None:
    if created:  # train() builds its own again, from the same arguments
        trainer.optimizer = None
