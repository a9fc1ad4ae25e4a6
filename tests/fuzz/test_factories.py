"""Hostile or careless factories: each is one line naming the factory, or machine output left intact."""

from __future__ import annotations

import json
import textwrap
import time
from pathlib import Path

import pytest

from lora_lint.errors import SetupLoadError
from lora_lint.sources.factory import load_factory
from tests.cli.conftest import run_cli

pytestmark = pytest.mark.usefixtures("restore_import_state")

FACTORIES = textwrap.dedent(
    """
    import json, os, sys
    import torch

    class Weird(BaseException):
        pass

    class BadStr(Exception):
        def __str__(self):
            raise ValueError("internal detail")

    def base_exception():
        raise Weird("boom")
    def generator_exit():
        raise GeneratorExit()
    def non_exception():
        raise 5
    def bad_str():
        raise BadStr()
    def a_class():
        return torch.nn.Linear
    def a_module():
        return os
    def odd_keys():
        return {1: 2, None: 3, "model": torch.nn.Linear(2, 2)}
    def string_optimizer():
        return {"model": torch.nn.Linear(2, 2), "optimizer": "adamw"}
    def list_optimizer():
        return {"model": torch.nn.Linear(2, 2), "optimizer": [1, 2]}
    def meta_batch():
        return torch.nn.Linear(2, 2), {"input_ids": torch.zeros(2, 3, dtype=torch.long, device="meta")}
    def tensor():
        return torch.zeros(3)

    def noisy():
        os.write(1, b"RAW FD1 {not json\\n")
        print("printed by the factory")
        sys.stdout.write("written to sys.stdout\\n")
        json.dumps = lambda *a, **k: "HIJACKED"
        json.JSONEncoder.encode = lambda self, o: "HIJACKED"
        return torch.nn.Linear(2, 2)
    """
)

#: factory -> words the one-line message must hold
CASES = {
    "base_exception": "raised Weird: boom",
    "generator_exit": "raised GeneratorExit",
    "non_exception": "raised TypeError: exceptions must derive from BaseException",
    "bad_str": "raised BadStr: (its message cannot be shown",
    "a_class": "returned the class Linear",
    "a_module": "returned the module os",
    "odd_keys": "unknown: 1 (of type int), None (of type NoneType)",
    "string_optimizer": "returned 'adamw' (of type str) as 'optimizer'; expected a torch optimizer",
    "list_optimizer": "returned list as 'optimizer'",
    "meta_batch": "batch holds tensors on the meta device",
    "tensor": "returned Tensor; expected a torch model",
}


@pytest.fixture
def factories(tmp_path: Path) -> Path:
    path = tmp_path / "hostile.py"
    path.write_text(FACTORIES)
    return path


@pytest.mark.parametrize("name", sorted(CASES))
def test_a_hostile_factory_is_one_line_naming_it(factories: Path, name: str) -> None:
    start = time.monotonic()
    with pytest.raises(SetupLoadError) as err:
        load_factory(f"{factories}:{name}")
    message = str(err.value)
    assert "\n" not in message
    assert message.startswith(f"cannot load {factories}:{name}: ")
    assert CASES[name] in message
    assert "internal detail" not in message and "Traceback" not in message
    assert time.monotonic() - start < 10


@pytest.mark.parametrize("fmt", ["json", "sarif"])
def test_a_factory_writing_to_stdout_and_replacing_json_leaves_machine_output_intact(
    factories: Path, fmt: str, tmp_path: Path
) -> None:
    run = run_cli("check", f"{factories}:noisy", "-f", fmt, "--no-probe", cwd=tmp_path, timeout=120)
    assert run.rc == 1, run.err  # a Linear holds no LoRA layer: a finding, not a crash
    parsed = json.loads(run.out)  # nothing but the report on stdout
    assert "HIJACKED" not in run.out
    assert "RAW FD1" in run.err and "printed by the factory" in run.err and "written to sys.stdout" in run.err
    assert "Traceback" not in run.err
    assert parsed


def test_a_hostile_factory_through_the_cli_is_one_line_and_exit_2(factories: Path, tmp_path: Path) -> None:
    run = run_cli("check", f"{factories}:bad_str", "-f", "json", cwd=tmp_path, timeout=120)
    assert run.rc == 2
    assert run.out == ""
    assert len(run.err_lines) == 1 and "Traceback" not in run.err and "internal detail" not in run.err
