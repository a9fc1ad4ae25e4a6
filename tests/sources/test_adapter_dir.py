"""Saved adapter folders as peft writes them, and broken ones: a clear exit 2, never a traceback."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
import torch

from lora_lint.errors import SetupLoadError
from lora_lint import lint_targets
from lora_lint.linting import Linter
from lora_lint.settings import Settings
from lora_lint.sources.options import load_options
from tests.cli.conftest import run_cli
from tests.saved_adapters import (
    copy_tree,
    llama_base_dir,
    train_steps,
    trained_llama,
    two_adapters,
)
from tests.tiny_models import llama, lora


def load(target: Path | str, **options: object) -> list:
    return Linter().load(str(target), Settings(probe=False), load_options(options))


def test_an_adapter_folder_is_one_setup_with_its_config_and_file() -> None:
    folder = trained_llama()
    (setup,) = load(folder)
    assert setup.adapter_dirs == {"default": folder}
    assert setup.lora_configs["default"]["lora_alpha"] == 16
    assert setup.origin.file == str(folder / "adapter_model.safetensors")
    assert setup.model is None and setup.base_model is None


def test_a_file_of_the_adapter_names_its_folder() -> None:
    folder = trained_llama()
    (setup,) = load(folder / "adapter_config.json")
    assert setup.adapter_dirs == {"default": folder}


def test_several_adapters_saved_together_are_found_by_name() -> None:
    # peft's save_pretrained writes the default adapter at the root and every other in a subfolder
    folder = two_adapters()
    (setup,) = load(folder)
    assert setup.adapter_dirs == {"default": folder, "other": folder / "other"}
    assert setup.lora_configs["other"]["r"] == 4


def test_a_torch_bin_adapter_is_read_with_weights_only(tmp_path: Path) -> None:
    model = train_steps(lora(llama()))
    model.save_pretrained(tmp_path / "bin", safe_serialization=False)
    assert (tmp_path / "bin" / "adapter_model.bin").is_file()
    (setup,) = load(tmp_path / "bin")
    assert setup.origin.file.endswith("adapter_model.bin")
    report = lint_targets([str(tmp_path / "bin")], Settings(probe=False, select=("LORA6",)))
    assert not report.findings, report.format_findings()


def test_with_a_base_model_the_base_is_built_on_the_meta_device() -> None:
    (setup,) = load(trained_llama(), model=str(llama_base_dir()))
    assert setup.base_model is not None
    assert all(p.is_meta for p in setup.base_model.parameters())
    assert setup.base_model_dir == llama_base_dir()


def test_loading_an_adapter_and_its_config_only_checks_never_import_torch() -> None:
    code = (
        "import sys\n"
        "from lora_lint import Settings, lint_targets\n"
        f"report = lint_targets([{str(trained_llama())!r}], Settings(select=('LORA304', 'LORA604')))\n"
        "assert not report.findings, report.format_findings()\n"
        "print('torch' in sys.modules)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False", out.stderr


@pytest.mark.parametrize(
    ("breakage", "words"),
    [
        ("config_truncated", "malformed adapter_config.json"),
        ("config_list", "must hold a JSON object"),
        ("config_not_lora", "peft_type is IA3"),
        ("config_bad_alpha", "lora_alpha must be a number"),
        ("safetensors_truncated", "not a readable safetensors file"),
        ("safetensors_garbage", "not a readable safetensors file"),
        ("bin_truncated", "cannot read it as a torch checkpoint (a truncated archive)"),
    ],
)
def test_a_broken_adapter_exits_2_with_one_clear_line(tmp_path: Path, breakage: str, words: str) -> None:
    folder = copy_tree(trained_llama(), tmp_path / "adapter")
    config = folder / "adapter_config.json"
    weights = folder / "adapter_model.safetensors"
    if breakage == "config_truncated":
        config.write_text(config.read_text()[:40])
    elif breakage == "config_list":
        config.write_text("[1, 2]")
    elif breakage == "config_not_lora":
        config.write_text(json.dumps({"peft_type": "IA3", "target_modules": ["k_proj"]}))
    elif breakage == "config_bad_alpha":
        config.write_text(json.dumps({"peft_type": "LORA", "r": 8, "lora_alpha": "sixteen"}))
    elif breakage == "safetensors_truncated":
        weights.write_bytes(weights.read_bytes()[:-100])
    elif breakage == "safetensors_garbage":
        weights.write_bytes(b"\x00" * 7)
    elif breakage == "bin_truncated":
        weights.unlink()
        torch.save({"x": torch.zeros(1000)}, folder / "adapter_model.bin")
        data = (folder / "adapter_model.bin").read_bytes()
        (folder / "adapter_model.bin").write_bytes(data[: len(data) // 2])
    with pytest.raises(SetupLoadError, match=words.replace("(", r"\(").replace(")", r"\)")):
        load(folder)
    result = run_cli("check", str(folder))
    assert result.rc == 2, result.out + result.err
    assert len(result.err_lines) == 1 and words in result.err, result.err
    assert "Traceback" not in result.err


def test_a_bin_that_torch_cannot_load_exits_2_when_its_tensors_are_read(tmp_path: Path) -> None:
    folder = copy_tree(trained_llama(), tmp_path / "adapter")
    (folder / "adapter_model.safetensors").unlink()
    (folder / "adapter_model.bin").write_bytes(b"\x80\x02not really a pickle")
    result = run_cli("check", str(folder), "--select", "LORA601")
    assert result.rc == 2, result.out + result.err
    assert "cannot load it with torch.load(weights_only=True)" in result.err
    assert "Traceback" not in result.err


def test_a_missing_lock_file_is_a_usage_error(tmp_path: Path) -> None:
    with pytest.raises(SetupLoadError, match="lock file not found"):
        load(trained_llama(), lock=str(tmp_path / "nope.json"))


def test_a_folder_without_adapters_is_not_claimed(tmp_path: Path) -> None:
    from lora_lint.sources.adapter_dir import lora_lint_load_setup

    assert lora_lint_load_setup(target=str(tmp_path), settings=Settings(), options={}) is None
