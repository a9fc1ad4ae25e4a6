"""The factory loader: TARGET shapes, what a factory may return, and what its errors become."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from lora_lint import lint
from lora_lint.errors import SetupLoadError
from lora_lint.sources.factory import load_factory, parse_factory

PEFT_MODEL = """
from peft import LoraConfig, get_peft_model
from transformers import GPT2Config, GPT2LMHeadModel


def base():
    return GPT2LMHeadModel(GPT2Config(n_embd=64, n_layer=2, n_head=4, vocab_size=128, n_positions=64))


def wrapped(targets=("c_attn",)):
    return get_peft_model(base(), LoraConfig(r=8, lora_alpha=16, target_modules=list(targets)))
"""


pytestmark = pytest.mark.usefixtures("restore_import_state")


def write(folder: Path, name: str, body: str) -> Path:
    path = folder / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(body))
    return path


@pytest.mark.parametrize(
    ("target", "parsed"),
    [
        ("train.py:build", ("train.py", "build")),
        ("src/train.py:Factory.build", ("src/train.py", "Factory.build")),
        ("my_pkg.models:build_model", ("my_pkg.models", "build_model")),
        ("runs/exp1", None),
        ("adapters/checkpoint-10", None),
        ("some/folder:build", None),
        ("train.py:", None),
        ("train.py:1build", None),
    ],
)
def test_a_factory_target_is_file_or_module_then_colon_then_name(target: str, parsed) -> None:
    assert parse_factory(target) == parsed


def test_a_factory_may_return_a_model_a_pair_or_a_mapping(tmp_path: Path) -> None:
    write(tmp_path, "helpers.py", PEFT_MODEL)  # the factory's own folder is importable
    f = write(
        tmp_path,
        "train.py",
        """
        import torch
        from helpers import wrapped

        def model():
            return wrapped()

        def pair():
            return wrapped(), {"input_ids": torch.zeros(1, 4, dtype=torch.long)}

        def mapping():
            m = wrapped()
            return {"model": m, "batch": None, "optimizer": torch.optim.SGD([p for p in m.parameters() if p.requires_grad], lr=0.1)}
        """,
    )
    plain = load_factory(f"{f}:model")
    assert plain is not None and plain.batch is None and plain.optimizer is None
    assert plain.origin.file == str(f.resolve()) or plain.origin.file.endswith("train.py")
    assert plain.origin.line == 5
    assert plain.notes[0].message.startswith("trainable parameters: ")
    pair = load_factory(f"{f}:pair")
    assert pair.batch["input_ids"].shape == (1, 4)
    mapping = load_factory(f"{f}:mapping")
    assert mapping.optimizer is not None and mapping.model is not None


def test_a_module_factory_is_imported_from_the_working_directory(tmp_path: Path, monkeypatch) -> None:
    write(tmp_path, "proj/__init__.py", "")
    write(tmp_path, "proj/factories.py", PEFT_MODEL)
    monkeypatch.chdir(tmp_path)
    setup = load_factory("proj.factories:wrapped")
    assert setup.origin == type(setup.origin)(file="proj/factories.py", line=10)
    assert setup.target == "proj.factories:wrapped"


def test_two_factory_files_with_the_same_name_stay_apart(tmp_path: Path) -> None:
    a = write(tmp_path, "a/train.py", "import torch\ndef build():\n    return torch.nn.Linear(2, 3)\n")
    b = write(tmp_path, "b/train.py", "import torch\ndef build():\n    return torch.nn.Linear(5, 7)\n")
    assert load_factory(f"{a}:build").model.in_features == 2
    assert load_factory(f"{b}:build").model.in_features == 5


@pytest.mark.parametrize(
    ("body", "func", "message"),
    [
        ("def build():\n    raise RuntimeError('CUDA out of memory\\nTried to allocate')\n", "build",
         "the factory raised RuntimeError: CUDA out of memory Tried to allocate (at {file}:2)"),
        ("import sys\ndef build():\n    sys.exit(3)\n", "build", "the factory raised SystemExit: 3 (at {file}:3)"),
        ("raise ImportError('no module named flash_attn')\n", "build",
         "the factory raised ImportError: no module named flash_attn (at {file}:1)"),
        ("def build():\n    return 3\n", "build", "the factory returned 3 (of type int); expected a torch model"),
        ("def build():\n    return {'model': None, 'optimiser': 1}\n", "build", "(unknown: optimiser)"),
        ("build = 3\n", "build", "build in {file} is not callable"),
        ("def build():\n    pass\n", "nope", "{file} has no attribute 'nope'"),
    ],
)
def test_user_code_errors_are_one_line_naming_the_factory(tmp_path: Path, monkeypatch, body, func, message) -> None:
    monkeypatch.chdir(tmp_path)
    write(tmp_path, "train.py", body)
    with pytest.raises(SetupLoadError) as info:
        load_factory(f"train.py:{func}")
    text = str(info.value)
    assert text.startswith(f"cannot load train.py:{func}: ")
    assert message.format(file="train.py") in text
    assert "\n" not in text


def test_missing_file_and_module_are_load_errors(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    with pytest.raises(SetupLoadError, match="no such file: nope.py"):
        load_factory("nope.py:build")
    with pytest.raises(SetupLoadError, match="no module named 'no_such_pkg_xyz.models'"):
        load_factory("no_such_pkg_xyz.models:build")


def test_peft_not_found_error_is_linted_as_lora101_per_entry_with_suggestions(tmp_path: Path) -> None:
    write(tmp_path, "helpers.py", PEFT_MODEL)
    f = write(tmp_path, "train.py", "from helpers import wrapped\n\ndef build():\n    return wrapped(['q_proj', 'v_proj'])\n")
    setup = load_factory(f"{f}:build")
    assert setup.model is None and type(setup.base_model).__name__ == "GPT2LMHeadModel"
    assert setup.lora_configs["default"]["target_modules"] == ["q_proj", "v_proj"]
    assert setup.lora_configs["default"]["lora_alpha"] == 16  # fields left at their default are omitted
    assert "NoMatchingPeftModuleError" in setup.notes[0].message or "ValueError" in setup.notes[0].message
    report = lint(setup, probe=False, select=["LORA101"])
    assert sorted(f.evidence["entry"] for f in report) == ["q_proj", "v_proj"]
    assert all("c_attn" in f.evidence["closest"] for f in report)
    assert {f.location.line for f in report} == {3}


def test_a_not_found_error_without_a_model_to_recover_names_the_factory(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    write(tmp_path, "train.py", "def build():\n    raise ValueError(\"Target modules {'q'} not found in the base model.\")\n")
    with pytest.raises(SetupLoadError) as info:
        load_factory("train.py:build")
    assert str(info.value).startswith("cannot load train.py:build: the factory raised ValueError: Target modules")
    assert "could not find the base model" in str(info.value)
