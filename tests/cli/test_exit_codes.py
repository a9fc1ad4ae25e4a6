"""Exit status 2 with exactly one clear line on stderr for every kind of bad usage or input.

These runs fail before any model is built, so each costs a fraction of a second.
"""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from tests.cli.conftest import SEED, run_cli, write_json

PREFIX = "lora-lint: error: "
CHECK = "lora-lint check: error: "


@pytest.fixture()
def files(tmp_path: Path) -> Path:
    write_json(tmp_path / "model" / "config.json", {"model_type": "llama"})
    write_json(tmp_path / "lora.json", SEED)
    (tmp_path / "bad.json").write_text('{"r": 8,')
    (tmp_path / "bad.yaml").write_text("r: 8\n  lora_alpha: [16\n")
    (tmp_path / "list.yaml").write_text("- q_proj\n")
    (tmp_path / "typo.json").write_text('{"r": 8, "lora_aplha": 16}')
    (tmp_path / "empty").mkdir()
    (tmp_path / "train.py").write_text(
        textwrap.dedent(
            """
            def raises():
                raise RuntimeError("CUDA out of memory.\\nTried to allocate 2.00 GiB")

            def returns_number():
                return 3

            value = 3
            """
        )
    )
    return tmp_path


BAD = [
    # (id, arguments, the one line on stderr: exact, or a prefix ending in "...")
    ("no-target", [], PREFIX + "nothing to check: give a TARGET (file.py:func, package.module:func, an adapter or run folder) or --model DIR --lora-config FILE"),
    ("fail-on", ["--fail-on", "sometimes", "train.py:raises"], CHECK + "Invalid value for '--fail-on': 'sometimes' is not one of 'error', 'warning', 'info', 'never'."),
    ("intent", ["--intent", "eval", "train.py:raises"], CHECK + "Invalid value for '--intent': 'eval' is not one of 'training', 'inference'."),
    ("device", ["--device", "tpu", "train.py:raises"], PREFIX + "device must be auto, cpu, cuda or cuda:N, not 'tpu'"),
    ("format", ["--format", "xml", "train.py:raises"], PREFIX + "unknown format 'xml': use one of github, gitlab, json, json-lines, junit, sarif, text"),
    ("select-shape", ["--select", "E501", "train.py:raises"], PREFIX + "select: 'E501' is not a rule code or prefix (e.g. LORA101, LORA1, LORA)"),
    ("select-none", ["--select", "LORA9", "train.py:raises"], PREFIX + "select: 'LORA9' matches no rule; `lora-lint rules` lists them"),
    ("ignore-none", ["--ignore", "LORA199", "train.py:raises"], PREFIX + "ignore: 'LORA199' matches no rule; `lora-lint rules` lists them"),
    ("both-kbit", ["--load-in-8bit", "--load-in-4bit", "train.py:raises"], PREFIX + "--load-in-8bit and --load-in-4bit exclude each other"),
    ("config-no-model", ["--lora-config", "lora.json"], PREFIX + "--lora-config needs --model DIR (the base model folder with config.json)"),
    ("missing-model", ["--model", "nope", "--lora-config", "lora.json"], PREFIX + "--model nope is not a folder and not in the Hugging Face cache (offline)..."),
    ("missing-model-path", ["--model", "./no/such/dir", "--lora-config", "lora.json"], PREFIX + "--model ./no/such/dir: no such folder (and not a hub id)"),
    ("missing-config", ["--model", "model", "--lora-config", "nope.yaml"], CHECK + "Invalid value for '--lora-config': Path 'nope.yaml' does not exist."),
    ("missing-lock", ["--lock", "nope.lock", "train.py:raises"], PREFIX + "lock file nope.lock not found (write one with `lora-lint lock PATH`)"),
    ("malformed-json", ["--model", "model", "--lora-config", "bad.json"], PREFIX + "cannot load bad.json: malformed JSON (Expecting property name enclosed in double quotes: line 1 column 9 (char 8)); was it truncated?"),
    ("malformed-yaml", ["--model", "model", "--lora-config", "bad.yaml"], PREFIX + "cannot load bad.yaml: malformed YAML: ..."),
    ("not-a-mapping", ["--model", "model", "--lora-config", "list.yaml"], PREFIX + "cannot load list.yaml: expected a mapping of LoraConfig arguments, got list"),
    ("not-an-adapter", ["--model", "model", "--lora-config", "empty"], PREFIX + "cannot load empty: a --lora-config folder must hold adapter_config.json"),
    ("neither-folder", ["empty"], PREFIX + "empty: not a factory (file.py:func or package.module:func), an adapter folder (adapter_config.json), a run folder (checkpoint-*/) or an axolotl / LLaMA-Factory YAML config"),
    ("missing-target", ["nothing/here"], PREFIX + "nothing/here: no such file or folder"),
    ("missing-factory-file", ["nope.py:build"], PREFIX + "cannot load nope.py:build: no such file: nope.py"),
    ("missing-function", ["train.py:nope"], PREFIX + "cannot load train.py:nope: train.py has no attribute 'nope'"),
    ("not-callable", ["train.py:value"], PREFIX + "cannot load train.py:value: value in train.py is not callable"),
    ("factory-raises", ["train.py:raises"], PREFIX + "cannot load train.py:raises: the factory raised RuntimeError: CUDA out of memory. Tried to allocate 2.00 GiB (at train.py:3)"),
    ("factory-returns-int", ["train.py:returns_number"], PREFIX + "cannot load train.py:returns_number: the factory returned 3 (of type int); expected a torch model, (model, batch), or a mapping with 'model' and optionally 'batch', 'optimizer'"),
]


@pytest.mark.parametrize(("args", "line"), [case[1:] for case in BAD], ids=[case[0] for case in BAD])
def test_bad_usage_or_input_is_one_line_on_stderr_and_exit_2(files: Path, args: list[str], line: str) -> None:
    run = run_cli("check", *args, cwd=files)
    assert run.rc == 2, (run.out, run.err)
    assert run.out == ""
    assert len(run.err_lines) == 1, run.err
    if line.endswith("..."):
        assert run.err_lines[0].startswith(line[:-3])
    else:
        assert run.err_lines[0] == line


def test_an_unknown_pyproject_key_names_the_key_and_exits_2(files: Path) -> None:
    (files / "pyproject.toml").write_text('[tool.lora-lint]\nselect = ["LORA1"]\nfail_on = "warning"\n')
    run = run_cli("check", "train.py:raises", cwd=files)
    assert run.rc == 2
    assert len(run.err_lines) == 1
    assert run.err_lines[0].startswith(f"{PREFIX}{files / 'pyproject.toml'}: unknown key 'fail_on' in [tool.lora-lint]")


CRASHING_PLUGIN = '''
"""A third-party rule that crashes, installed through the lora_lint entry-point group."""
from lora_lint import Severity, hookimpl
from lora_lint.rules._base import Needs, Rule


class Crashes(Rule):
    """
    ## What it does
    Crashes.

    ## Why is this bad?
    It is a test.

    ## Example
    x

    ## Use instead
    y
    """

    code, name, severity, needs, hint = "LORA199", "house-crashes", Severity.WARNING, Needs.NONE, "none"

    def check(self, ctx):
        return [1 / 0]


@hookimpl
def lora_lint_register_rules(register):
    register(Crashes)
'''


def test_a_crashing_rule_is_a_rule_error_naming_the_rule_and_target(tmp_path: Path) -> None:
    (tmp_path / "house_rules.py").write_text(CRASHING_PLUGIN)
    dist = tmp_path / "house_rules-1.0.dist-info"
    dist.mkdir()
    (dist / "METADATA").write_text("Metadata-Version: 2.1\nName: house-rules\nVersion: 1.0\n")
    (dist / "entry_points.txt").write_text("[lora_lint]\nhouse = house_rules\n")
    (tmp_path / "train.py").write_text("import torch\n\ndef build():\n    return torch.nn.Linear(2, 2)\n")
    run = run_cli("check", "train.py:build", "--select", "LORA199", cwd=tmp_path, env={"PYTHONPATH": str(tmp_path)})
    assert run.rc == 2
    assert run.out == ""
    assert run.err_lines == [f"{PREFIX}rule LORA199 crashed on train.py:build: ZeroDivisionError: division by zero"]
