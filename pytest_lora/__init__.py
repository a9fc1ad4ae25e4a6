"""pytest plugin for lora-lint: the ``lora_lint`` fixture and the ``assert_*`` helpers."""

from __future__ import annotations

import pytest

# Before the import below, so pytest rewrites the helpers' module (its frames are hidden anyway).
pytest.register_assert_rewrite("pytest_lora.assertions")

from pytest_lora.assertions import (
    assert_adapters_receive_grad,
    assert_adapters_trainable,
    assert_alpha_ratio,
    assert_base_frozen,
    assert_matches_lock,
    assert_scaling_consistent,
    assert_targets_matched,
    assert_trainer_learns,
)

__all__ = [
    "assert_adapters_receive_grad",
    "assert_adapters_trainable",
    "assert_alpha_ratio",
    "assert_base_frozen",
    "assert_matches_lock",
    "assert_scaling_consistent",
    "assert_targets_matched",
    "assert_trainer_learns",
]
