"""The ``lora_lint`` fixture given a real ``transformers.Trainer`` in a user's test: a planted bug fails it,
a correct trainer passes."""

from __future__ import annotations

import pytest

# Imported in the outer session so the inner runs reuse it (see conftest.py)
import transformers.trainer  # noqa: F401

TRAINER_TESTS = """
import pytest
import torch
from transformers import Trainer, TrainingArguments

import lora_models


def build(tmp_path, masked):
    ids = torch.randint(0, 128, (4, 8), generator=torch.Generator().manual_seed(0)).tolist()
    rows = [
        {"input_ids": row, "labels": [-100] * len(row) if masked else row}
        for row in ids
    ]
    args = TrainingArguments(
        output_dir=str(tmp_path), per_device_train_batch_size=2, max_steps=1, use_cpu=True,
        report_to=[], save_strategy="no", disable_tqdm=True,
    )
    return Trainer(model=lora_models.model(), args=args, train_dataset=rows)


@pytest.mark.parametrize("masked", [False, True], ids=["correct", "masked"])
def test_trainer(lora_lint, tmp_path, masked):
    trainer = build(tmp_path, masked)
    lora_lint(trainer).assert_clean()
    assert trainer.state.global_step == 0 and trainer.optimizer is None
"""


def test_a_trainer_with_masked_labels_fails_and_a_correct_one_passes(lora_pytester: pytest.Pytester) -> None:
    lora_pytester.makepyfile(test_trainer=TRAINER_TESTS)
    result = lora_pytester.runpytest("-p", "no:cacheprovider")
    result.assert_outcomes(passed=1, failed=1)
    result.stdout.fnmatch_lines(["FAILED test_trainer.py::test_trainer[[]masked[]]*"])
    result.stdout.fnmatch_lines(["E * lora-lint found * problem(s) at or above error:"])
    result.stdout.fnmatch_lines(["E * LORA701 [[]error[]] labels-unsupervised at labels"])
    result.stdout.fnmatch_lines(["E *every row of the batch (2 of 2) has all its labels at -100*"])
