"""A real Trainer as a target: what is read from it, and that the run after the lint is the run without it."""

from __future__ import annotations

import random
import textwrap
from pathlib import Path

import pytest
import torch

from lora_lint import lint, lint_targets
from lora_lint.errors import SetupLoadError
from lora_lint.findings import Severity
from lora_lint.settings import Settings
from lora_lint.sources.trainer import setup_from_trainer
from tests.cli.conftest import run_cli
from tests.trainers import classification_trainer, pad_collator, sft_rows, sft_trainer, tokenizer


def _losses(trainer) -> list[float]:
    trainer.train()
    return [e["loss"] for e in trainer.state.log_history if "loss" in e]


def test_a_linted_trainer_trains_exactly_as_one_never_linted(tmp_path: Path) -> None:
    plain = sft_trainer(tmp_path / "plain", logging_steps=1, logging_strategy="steps")
    linted = sft_trainer(tmp_path / "linted", logging_steps=1, logging_strategy="steps")
    keys = set(vars(linted))
    loaders = list(linted.accelerator._dataloaders)
    rng = torch.get_rng_state()
    py = random.getstate()
    weights = {k: v.clone() for k, v in linted.model.state_dict().items()}
    report = lint(linted)
    assert not report.findings, report.format_findings()
    assert linted.optimizer is None and linted.lr_scheduler is None  # created for the lint, not left set
    assert set(vars(linted)) == keys and linted._signature_columns is None
    assert linted.accelerator._dataloaders == loaders
    assert torch.equal(torch.get_rng_state(), rng) and random.getstate() == py
    assert linted.state.global_step == 0
    assert all(torch.equal(v, weights[k]) for k, v in linted.model.state_dict().items())
    # the sampler's draw, the first batch and the optimizer the run gets are the ones it would have had
    torch.manual_seed(3)
    expected = _losses(plain)
    torch.manual_seed(3)
    assert _losses(linted) == expected and len(expected) == 3


def test_the_setup_holds_the_first_batch_the_optimizer_train_would_build_and_the_tokenizer(tmp_path: Path) -> None:
    trainer = sft_trainer(tmp_path)
    setup = setup_from_trainer("t", trainer)
    assert set(setup.batch) == {"input_ids", "attention_mask", "labels"} and setup.batch["input_ids"].shape[0] == 2
    held = {id(p) for g in setup.optimizer.param_groups for p in g["params"]}
    assert held == {id(p) for p in trainer.model.parameters() if p.requires_grad}
    assert setup.optimizer.param_groups[0]["lr"] == trainer.args.learning_rate
    assert setup.tokenizer is trainer.processing_class and setup.training_args is trainer.args
    own = torch.optim.SGD([p for p in trainer.model.parameters() if p.requires_grad], lr=0.1)
    trainer.optimizer = own
    assert setup_from_trainer("t", trainer).optimizer is own  # the trainer's own optimizer is the one linted


def test_a_batch_without_a_trainer_gets_the_same_supervision_rules(tmp_path: Path) -> None:
    trainer = sft_trainer(tmp_path, mask_all=True)
    batch = pad_collator(trainer.processing_class.pad_token_id)(sft_rows(trainer.processing_class, mask_all=True)[:2])
    report = lint(trainer.model, batch=batch, probe=False)
    assert report.codes == {"LORA701"}, report.format_findings()


def test_some_masked_rows_are_a_warning_with_the_count(tmp_path: Path) -> None:
    tok = tokenizer()
    rows = sft_rows(tok)
    rows[1] = {**rows[1], "labels": [-100] * len(rows[1]["labels"])}
    report = lint(sft_trainer(tmp_path, rows=rows, per_device_train_batch_size=4), probe=False)  # every row
    (finding,) = report.findings
    assert finding.code == "LORA701" and finding.severity is Severity.WARNING
    assert "1 of 4 rows (25%)" in finding.message


def test_a_correct_classification_trainer_is_quiet(tmp_path: Path) -> None:
    report = lint(classification_trainer(tmp_path))
    assert not report.findings, report.format_findings()


def test_an_unsupervised_eos_is_found_through_the_model_config_without_a_tokenizer(tmp_path: Path) -> None:
    trainer = sft_trainer(tmp_path, pad_is_eos=True)
    batch = setup_from_trainer("t", trainer).batch
    trainer.model.config.pad_token_id = trainer.model.config.eos_token_id = trainer.processing_class.eos_token_id
    assert lint(trainer.model, batch=batch, probe=False).codes == {"LORA702"}


def test_a_wrapper_hiding_the_label_names_with_evaluation_is_lora706(tmp_path: Path) -> None:
    trainer = sft_trainer(tmp_path)
    trainer.eval_dataset = trainer.train_dataset
    trainer.label_names = []  # what find_labels gives for a forward(*args, **kwargs) wrapper
    report = lint(trainer, probe=False)
    assert report.codes == {"LORA706"} and "eval_loss" in report.findings[0].message


class _Iterable(torch.utils.data.IterableDataset):  # type: ignore[type-arg]
    def __iter__(self):
        yield from sft_rows(tokenizer())


def _raising(rows):
    raise KeyError("response")


@pytest.mark.parametrize(
    ("change", "words"),
    [
        (lambda t: setattr(t, "train_dataset", None), "has no train_dataset"),
        (lambda t: setattr(t, "train_dataset", _Iterable()), "iterable _Iterable"),
        (lambda t: setattr(t, "data_collator", _raising), "collator or dataset raised KeyError: 'response'"),
        (lambda t: setattr(t, "data_collator", lambda rows: [r["input_ids"] for r in rows]), "is a list, not a mapping"),
        (lambda t: setattr(t, "data_collator", lambda rows: {"input_ids": [1, 2]}), "non-tensor values under input_ids"),
    ],
)
def test_bad_trainer_inputs_are_one_line_errors(tmp_path: Path, change, words: str) -> None:
    trainer = sft_trainer(tmp_path)
    change(trainer)
    with pytest.raises(SetupLoadError) as err:
        lint(trainer, probe=False)
    assert words in str(err.value) and "\n" not in str(err.value)


FACTORY = textwrap.dedent(
    """
    from tests.trainers import sft_trainer

    def build():
        return sft_trainer(__import__("pathlib").Path({out!r}), mask_all={mask_all})

    def mapping():
        return {{"trainer": sft_trainer(__import__("pathlib").Path({out!r}))}}

    def no_data():
        t = sft_trainer(__import__("pathlib").Path({out!r}))
        t.train_dataset = None
        return t
    """
)


def test_the_cli_lints_a_trainer_factory_and_exits_2_on_a_trainer_without_data(tmp_path: Path) -> None:
    file = tmp_path / "train_factory.py"
    file.write_text(FACTORY.format(out=str(tmp_path / "out"), mask_all=True))
    env = {"PYTHONPATH": str(Path(__file__).resolve().parents[2])}
    masked = run_cli("check", "--no-probe", f"{file}:build", env=env)
    assert masked.rc == 1 and "LORA701" in masked.out, masked.out + masked.err
    bad = run_cli("check", f"{file}:no_data", env=env)
    # DeepSpeed, when installed, logs its accelerator choice as accelerate imports it: not lora-lint's output
    lines = [line for line in bad.err_lines if "real_accelerator.py" not in line]
    assert bad.rc == 2 and len(lines) == 1 and "no train_dataset" in lines[0], bad.err
    report = lint_targets([f"{file}:mapping"], Settings(probe=False))
    assert not report.findings, report.format_findings()


def test_trl_sft_trainer_is_read_like_a_trainer(tmp_path: Path) -> None:
    pytest.importorskip("trl")
    datasets = pytest.importorskip("datasets")
    from trl import SFTConfig, SFTTrainer

    from tests.tiny_models import llama, lora

    tok = tokenizer(model_max_length=32)
    data = datasets.Dataset.from_list([{"prompt": "<user> what is two plus two <bot>", "completion": "two plus two is four"}] * 4)
    args = SFTConfig(
        output_dir=str(tmp_path), per_device_train_batch_size=2, max_steps=1, use_cpu=True, report_to=[], max_length=32,
        save_strategy="no",
    )
    trainer = SFTTrainer(model=lora(llama()), args=args, train_dataset=data, processing_class=tok)
    setup = setup_from_trainer("sft", trainer)
    assert setup.trainer_inputs is not None and setup.trainer_inputs.trainer_type == "SFTTrainer"
    assert "labels" in setup.batch or "completion_mask" in setup.batch
    if "labels" in setup.batch:  # SFTConfig.max_length is the length LORA703 judges truncation by
        from lora_lint.facts.supervision import collect_supervision

        facts = collect_supervision(setup)
        assert facts is not None and facts.max_length == 32
    report = lint(trainer)
    assert not report.findings, report.format_findings()


@pytest.mark.parametrize("given", ["dict", "file"])
def test_the_deepspeed_config_of_the_arguments_feeds_the_launch_rules(tmp_path: Path, given: str) -> None:
    pytest.importorskip("deepspeed", reason="deepspeed is not installed here (the legacy set has none): TrainingArguments(deepspeed=...) refuses to build without it")
    import json

    from transformers import TrainingArguments

    from lora_lint.context import Setup
    from lora_lint.sources.trainer import attach_run
    from tests.tiny_models import llama, lora

    config = {"zero_optimization": {"stage": 3}, "train_micro_batch_size_per_gpu": "auto"}
    file = tmp_path / "ds.json"
    file.write_text(json.dumps(config, indent=2))
    args = TrainingArguments(
        output_dir=str(tmp_path), use_cpu=True, report_to=[], deepspeed=config if given == "dict" else str(file)
    )
    setup = attach_run(Setup(target="t", model=lora(llama())), args, tokenizer())
    assert setup.tokenizer is not None and setup.training_args is args
    report = lint(setup, probe=False, select="LORA801")
    (finding,) = report.findings
    where = "TrainingArguments.deepspeed" if given == "dict" else str(file)
    assert finding.code == "LORA801" and f"ZeRO stage 3 ({where})" in finding.message
    # the same config given as a correct one stays quiet
    config["zero_optimization"]["stage3_gather_16bit_weights_on_model_save"] = True
    quiet = TrainingArguments(output_dir=str(tmp_path), use_cpu=True, report_to=[], deepspeed=config)
    assert not lint(attach_run(Setup(target="t", model=lora(llama())), quiet, None), probe=False, select="LORA801").findings
