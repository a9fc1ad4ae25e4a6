"""Settings through the real ``check`` command in-process: pyproject.toml, command-line precedence, options."""

from __future__ import annotations

import json
import textwrap
from pathlib import Path

import pytest
from click.testing import CliRunner

from lora_lint.cli import main
from lora_lint.cli.rules import registered_rules
from tests.tiny_models import LLAMA_CONFIG_SOURCE

FACTORY = LLAMA_CONFIG_SOURCE + '''
from peft import LoraConfig, get_peft_model
from transformers import LlamaForCausalLM


def build(targets=("q_proj", "value"), r=8, alpha=16):
    return get_peft_model(LlamaForCausalLM(tiny_llama_config()), LoraConfig(r=r, lora_alpha=alpha, target_modules=list(targets)))


def ratio_two():
    return build(("q_proj", "v_proj"), r=8, alpha=16)
'''


@pytest.fixture()
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    (tmp_path / "train.py").write_text(textwrap.dedent(FACTORY))
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("NO_COLOR", raising=False)
    monkeypatch.delenv("FORCE_COLOR", raising=False)
    return tmp_path


def check(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(main, ["check", "--no-probe", *args])
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise result.exception
    return result.exit_code, result.stdout


def codes(out: str) -> list[str]:
    return [f["code"] for f in json.loads(out)["findings"]]


def pyproject(folder: Path, body: str) -> None:
    (folder / "pyproject.toml").write_text("[tool.lora-lint]\n" + textwrap.dedent(body))


def test_pyproject_ignore_applies_and_a_command_line_select_wins(project: Path) -> None:
    pyproject(project, 'ignore = ["LORA101"]\n')
    rc, out = check("train.py:build", "--format", "json")
    assert rc == 0 and "LORA101" not in codes(out)
    rc, out = check("train.py:build", "--format", "json", "--select", "LORA101")
    assert rc == 1 and codes(out) == ["LORA101"]


def test_pyproject_fail_on_and_the_command_line_fail_on(project: Path) -> None:
    pyproject(project, 'fail-on = "never"\nselect = ["LORA101"]\n')
    assert check("train.py:build")[0] == 0
    assert check("train.py:build", "--fail-on", "error")[0] == 1


def test_the_nearest_pyproject_wins_over_one_further_up(project: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    pyproject(project, 'select = ["LORA101"]\nfail-on = "never"\n')
    sub = project / "sub"
    sub.mkdir()
    pyproject(sub, 'select = ["LORA101"]\n')
    monkeypatch.chdir(sub)
    assert check("../train.py:build")[0] == 1


def test_pyproject_thresholds_reach_the_rules(project: Path) -> None:
    assert codes(check("train.py:ratio_two", "--format", "json", "--select", "LORA301")[1]) == []
    pyproject(project, "alpha-ratio-max = 1.5\n")
    rc, out = check("train.py:ratio_two", "--format", "json", "--select", "LORA301")
    assert codes(out) == ["LORA301"] * len(codes(out)) and codes(out)


def test_extend_select_adds_to_a_selection_and_prefixes_select_families(project: Path) -> None:
    rc, out = check("train.py:build", "--format", "json", "--select", "LORA2", "--extend-select", "LORA101")
    assert "LORA101" in codes(out)
    assert all(c.startswith(("LORA2", "LORA101")) for c in codes(out))


def test_intent_inference_skips_training_only_rules_with_a_note(project: Path) -> None:
    rc, out = check("train.py:build", "--format", "json", "--intent", "inference")
    notes = [n["message"] for n in json.loads(out)["notes"]]
    training_only = [r.code for r in registered_rules() if r.training_only]
    if training_only:
        assert any(n.startswith("skipped training-only rules for --intent inference") for n in notes)


def test_output_file_receives_the_report_and_stdout_stays_empty(project: Path) -> None:
    rc, out = check("train.py:build", "--format", "sarif", "--output", "out.sarif", "--select", "LORA101")
    assert rc == 1 and out == ""
    assert json.loads((project / "out.sarif").read_text())["runs"][0]["results"][0]["ruleId"] == "LORA101"


def test_colour_is_forced_by_always_and_absent_by_default_off_a_terminal(project: Path) -> None:
    plain = check("train.py:build", "--select", "LORA101")[1]
    coloured = check("train.py:build", "--select", "LORA101", "--color", "always")[1]
    assert "\x1b[" not in plain and "\x1b[31m" in coloured
    import click

    assert click.unstyle(coloured) == plain


def test_prints_in_user_code_go_to_stderr_so_machine_output_stays_parseable(project: Path) -> None:
    (project / "noisy.py").write_text(
        "from train import build\n\ndef noisy():\n    print('loading my model...')\n    return build()\n"
    )
    result = CliRunner().invoke(main, ["check", "--no-probe", "noisy.py:noisy", "--format", "json"])
    assert json.loads(result.stdout)["summary"]["targets"] == ["noisy.py:noisy"]
    assert "loading my model..." in result.stderr
