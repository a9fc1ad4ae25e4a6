"""A run folder and a locked adapter are checked against the base their adapter_config.json names (in process)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.frameworks.hub_cache import build_hub_cache
from tests.fuzz.conftest import Answer, cli
from tests.saved_adapters import copy_tree, edit_config, llama_base_dir, trained_llama, training_run

NAMED = "checked against its base tiny-org/tiny-llama (base_model_name_or_path) from the Hugging Face cache"


@pytest.fixture
def tiny_hub(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """An offline cache that holds the tiny Llama's config.json as ``tiny-org/tiny-llama``."""
    from huggingface_hub import constants

    tiny = (llama_base_dir() / "config.json").read_bytes()
    cache = build_hub_cache(tmp_path_factory.mktemp("hf") / "hub", ids=[], extra={"tiny-org/tiny-llama": tiny})
    monkeypatch.setenv("HF_HUB_CACHE", str(cache))
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setattr(constants, "HF_HUB_CACHE", str(cache))
    monkeypatch.setattr(constants, "HF_HUB_OFFLINE", True)
    yield cache


def _run_naming(base: str, tmp_path: Path, targets: list[str]) -> Path:
    run = copy_tree(training_run(), tmp_path / "run")
    for checkpoint in sorted(run.glob("checkpoint-*")):
        edit_config(checkpoint, base_model_name_or_path=base, target_modules=targets)
    return run


def _codes(answer: Answer) -> list[str]:
    assert answer.rc in (0, 1), answer.err
    return [f["code"] for f in json.loads(answer.out)["findings"]]


def _notes(answer: Answer) -> list[str]:
    return [n["message"] for n in json.loads(answer.out)["notes"]]


def test_a_run_folder_is_checked_against_the_hub_id_its_adapters_name(tiny_hub: Path, tmp_path: Path) -> None:
    run = _run_naming("tiny-org/tiny-llama", tmp_path, ["q_proj", "value"])
    answer = cli("check", "-f", "json", str(run))
    assert NAMED in _notes(answer), answer.out
    assert "LORA101" in _codes(answer), answer.out


def test_a_run_folder_on_its_named_base_with_matching_targets_is_quiet_about_targets(tiny_hub: Path, tmp_path: Path) -> None:
    run = _run_naming("tiny-org/tiny-llama", tmp_path, ["q_proj", "v_proj"])
    answer = cli("check", "-f", "json", str(run))
    assert NAMED in _notes(answer), answer.out
    assert "LORA101" not in _codes(answer), answer.out


def test_a_run_folder_naming_a_local_base_folder_resolves_it(tmp_path: Path) -> None:
    base = str(llama_base_dir())
    run = _run_naming(base, tmp_path, ["q_proj", "value"])
    answer = cli("check", "-f", "json", str(run))
    assert f"checked against its base {base} (base_model_name_or_path)" in _notes(answer), answer.out
    assert "LORA101" in _codes(answer), answer.out


def test_a_run_folder_whose_base_is_not_cached_names_the_base_it_tried(tiny_hub: Path, tmp_path: Path) -> None:
    run = _run_naming("tiny-org/not-cached", tmp_path, ["q_proj", "value"])
    answer = cli("check", "-f", "json", str(run))
    notes = [n for n in _notes(answer) if "not resolved" in n]
    assert len(notes) == 1 and "tiny-org/not-cached" in notes[0], answer.out
    assert "LORA101" not in _codes(answer), answer.out


@pytest.mark.parametrize("where", ["inside", "option"])
def test_a_locked_adapter_is_still_checked_against_its_named_base(tiny_hub: Path, tmp_path: Path, where: str) -> None:
    adapter = copy_tree(trained_llama(), tmp_path / "adapter")
    edit_config(adapter, base_model_name_or_path="tiny-org/tiny-llama", target_modules=["q_proj", "value"])
    lock = tmp_path / "adapter.lock.json"
    written = cli("lock", str(adapter), *(["-o", str(lock)] if where == "option" else []))
    assert written.rc == 0, written.err
    answer = cli("check", "-f", "json", str(adapter), *(["--lock", str(lock)] if where == "option" else []))
    assert NAMED in _notes(answer), answer.out
    assert "LORA101" in _codes(answer) and "LORA304" not in _codes(answer), answer.out
