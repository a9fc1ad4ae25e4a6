"""The Python API on values that are not models, unknown codes, and report output that cannot be written."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
import torch

from lora_lint import lint
from lora_lint.cli.output import ReportOutput
from lora_lint.errors import UsageError
from pytest_lora.assertions import assert_base_frozen, assert_targets_matched
from tests.cli.conftest import run_cli

NOT_MODELS = {
    "int": (5, "got a int"),
    "string": ("model", "the string 'model'"),
    "dict": ({}, "got a dict"),
    "tensor": (torch.tensor([1.0, 2.0]), "got a Tensor"),
    "class": (torch.nn.Linear, "the class Linear"),
}


@pytest.mark.parametrize("name", sorted(NOT_MODELS))
@pytest.mark.parametrize("front", [lint, assert_targets_matched, assert_base_frozen], ids=["lint", "assert_targets", "assert_frozen"])
def test_a_value_that_is_not_a_model_is_a_type_error_saying_what_was_expected(front, name: str) -> None:
    value, said = NOT_MODELS[name]
    with pytest.raises(TypeError) as err:
        front(value)
    assert "expected a model: a torch.nn.Module" in str(err.value)
    assert said in str(err.value)


@pytest.mark.parametrize("option", ["select", "ignore", "extend_select"])
def test_an_unknown_code_is_a_usage_error_in_the_api(option: str) -> None:
    with pytest.raises(UsageError, match="'LORA999' matches no rule"):
        lint(torch.nn.Linear(2, 2), **{option: ["LORA999"]})


def test_an_unknown_code_in_the_marker_fails_the_test(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        """
        import pytest, torch

        @pytest.mark.lora(select="LORA999")
        def test_it(lora_lint):
            lora_lint(torch.nn.Linear(2, 2))
        """
    )
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider")
    assert result.ret == 1  # the test checked nothing: it must not pass
    result.stdout.fnmatch_lines(["*LORA999*matches no rule*"])


@pytest.mark.parametrize(
    "target, expected",
    [
        ("missing/report.json", "the folder missing does not exist"),
        ("/proc/report.json", "No such file or directory"),
    ],
)
def test_an_output_that_cannot_be_opened_is_a_usage_error(tmp_path: Path, target: str, expected: str, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    with pytest.raises(UsageError, match=expected):
        ReportOutput(target)


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes into read-only folders")
def test_a_read_only_folder_is_a_usage_error(tmp_path: Path) -> None:
    folder = tmp_path / "ro"
    folder.mkdir(mode=0o555)
    with pytest.raises(UsageError, match="Permission denied"):
        ReportOutput(str(folder / "report.json"))


def test_a_full_device_is_a_usage_error() -> None:
    out = ReportOutput("/dev/full")
    with pytest.raises(UsageError, match="cannot write the report to /dev/full: No space left on device"):
        with out.writing() as stream:
            stream.write("x" * 100_000)


@pytest.fixture
def factory(tmp_path: Path) -> str:
    (tmp_path / "build.py").write_text("import torch\ndef build():\n    return torch.nn.Linear(2, 2)\n")
    return "build.py:build"


@pytest.mark.parametrize(
    "args, shell, expected",
    [
        (["-o", "missing/report.json"], "", "the folder missing does not exist"),
        (["-o", "/dev/full"], "", "No space left on device"),
        ([], ">&-", "stdout is closed"),
    ],
    ids=["missing-folder", "dev-full", "closed-stdout"],
)
def test_unwritable_output_through_the_cli_is_one_line_and_exit_2(tmp_path: Path, factory: str, args, shell, expected) -> None:
    if shell:
        import shlex
        import subprocess

        from tests.cli.conftest import LORA_LINT

        cmd = " ".join(shlex.quote(a) for a in [str(LORA_LINT), "check", factory, "-f", "json", "--no-probe", *args])
        proc = subprocess.run(f"{cmd} {shell}", shell=True, cwd=tmp_path, capture_output=True, text=True, timeout=120)
        rc, err = proc.returncode, proc.stderr
    else:
        run = run_cli("check", factory, "-f", "json", "--no-probe", *args, cwd=tmp_path, timeout=120)
        rc, err = run.rc, run.err
        assert run.out == ""
    assert rc == 2, err
    assert len(err.splitlines()) == 1 and expected in err and "Traceback" not in err


def test_json_output_to_a_file_parses(tmp_path: Path, factory: str) -> None:
    run = run_cli("check", factory, "-f", "sarif", "--no-probe", "-o", "out.sarif", cwd=tmp_path, timeout=120)
    assert run.rc == 1 and run.out == ""
    assert json.loads((tmp_path / "out.sarif").read_text())["runs"]
