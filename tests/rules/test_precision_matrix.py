"""Every LoRA layer type peft has, times the adapter states peft supports (``precision_matrix_setups``): each
correct combination is quiet at warning and error with its batch through ``lint()``, quiet because every rule
ran, and without a batch through ``lora-lint check --fail-on warning`` (exit 0), where lora-lint builds the batch
or says in a note that it could not. Both front ends share one path from a target to a report, so each
combination is linted twice, not four times, to keep the matrix inside the suite's time; the CLI checks the
whole matrix in one process.
"""

from __future__ import annotations

import copy
import json

import pytest

from lora_lint import lint
from lora_lint.report import Report
from tests.rules import precision_matrix_setups as matrix
from tests.rules.precision_matrix_setups import LAYERS, Refused, build, combinations, factory_name, not_correct

#: the rules whose judgement needs the probe's forward and backward
PROBE_RULES = ("LORA401", "LORA403", "LORA404")


def _unchecked(code: str | None, message: str) -> bool:
    """A note that says something was left unchecked: a rule's own note, or the probe skipped."""
    return code is not None or message.startswith("probe skipped")


def _built(name: str, state: str) -> object:
    try:
        return build(name, state)
    except Refused as exc:
        pytest.skip(str(exc))


def _assert_quiet(report: Report, model: object, name: str, state: str) -> bool:
    """Quiet at warning and error, or only the rule that rightly fires; whether the combination is correct."""
    failing = report.at_least("warning")
    wrong = not_correct(name, state, model)
    if wrong is not None:
        assert {f.code for f in failing} == {wrong.code}, report.format_findings()
        return False
    assert not failing, report.format_findings(failing)
    return True


@pytest.mark.parametrize(("name", "state"), combinations())
def test_a_correct_combination_with_its_batch_is_quiet_because_every_rule_ran(name: str, state: str) -> None:
    model = _built(name, state)
    report = lint(model, batch=LAYERS[name].batch())
    if not _assert_quiet(report, model, name, state):
        return
    assert not [n.message for n in report.notes if _unchecked(n.code, n.message)], report.notes
    assert set(PROBE_RULES) <= set(report.ran), report.ran  # the probe judged: quiet because its rules ran


def test_every_correct_combination_without_a_batch_exits_0_at_fail_on_warning_from_the_cli() -> None:
    """One ``lora-lint check`` over the whole matrix: every correct combination as a factory that returns the model
    alone, so lora-lint builds the batch (or says in a note that it cannot), and each layer's plain state with its
    batch too. One process for all of them, as a CI job runs it."""
    from tests.cli.conftest import REPO, run_cli

    targets, token_models = [], set()
    for name, state in combinations():
        try:
            model = build(name, state)
        except Refused:
            continue
        if not_correct(name, state, model) is None:
            targets.append(f"{matrix.__name__}:{factory_name(name, state, False)}")
            if LAYERS[name].task is not None:
                token_models.add(targets[-1])
    with_batch = [f"{matrix.__name__}:{factory_name(name, 'plain', True)}" for name in LAYERS]
    run = run_cli("check", *targets, *with_batch, "--fail-on", "warning", "--format", "json",
                  env=matrix.cli_environment(REPO))
    assert run.rc == 0, run.out[-3000:] + run.err[-3000:]
    data = json.loads(run.out)
    assert data["summary"]["targets"] == targets + with_batch
    assert {f["severity"] for f in data["findings"]} <= {"info"}, data["findings"]
    unchecked = {n["target"]: n["message"] for n in data["notes"] if _unchecked(n["code"], n["message"])}
    # a transformers model: lora-lint builds a batch that runs every adapter; given its batch, nothing is unchecked
    assert not {t: m for t, m in unchecked.items() if t in token_models or t in with_batch}
    assert len(targets) > 80  # the matrix is not silently empty


@pytest.mark.parametrize("name", ["linear", "conv2d", "llama"])
def test_init_lora_weights_false_is_reported_by_lora305_alone(name: str) -> None:
    """A random lora_B is a deliberate non-identity start: LORA305's warning, and nothing else."""
    from peft import LoraConfig, get_peft_model

    layer = LAYERS[name]
    model = get_peft_model(copy.deepcopy(matrix._base(name)), LoraConfig(r=8, lora_alpha=16, task_type=layer.task,
                                                                          init_lora_weights=False, **layer.targets))
    report = lint(model, batch=layer.batch())
    assert {f.code for f in report.at_least("warning")} == {"LORA305"}, report.format_findings()
