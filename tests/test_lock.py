"""lora.lock.json: what an adapter was trained with, and LORA304 when a saved or live adapter drifts from it."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from lora_lint.errors import UsageError
from lora_lint.lock import LOCK_NAME, build_lock, check_lock, read_lock, write_lock
from tests.saved_adapters import copy_tree, edit_config, trained_llama, train_steps, training_run
from tests.tiny_models import llama, lora


@pytest.fixture
def adapter(tmp_path: Path) -> Path:
    return copy_tree(trained_llama(), tmp_path / "adapter")


def test_a_lock_records_scale_fields_targets_shapes_and_a_content_hash(adapter: Path) -> None:
    path = write_lock(adapter)
    assert path == adapter / LOCK_NAME
    record = json.loads(path.read_text())["adapters"]["default"]
    assert record["config"] == {
        "r": 8, "lora_alpha": 16, "use_rslora": False, "rank_pattern": {}, "alpha_pattern": {},
        "target_modules": ["q_proj", "v_proj"],
    }  # fmt: skip
    assert record["scale"] == 2.0
    assert record["tensors"]["model.layers.0.self_attn.v_proj.lora_B.weight"] == [32, 8]
    assert len(record["tensors"]) == 8
    assert record["content_hash"].startswith("sha256:")


def test_a_matching_lock_is_quiet(adapter: Path) -> None:
    report = check_lock(adapter, write_lock(adapter))
    assert not report.findings, report.format_findings()
    assert not [n for n in report.notes if n.code == "LORA304"]


def test_an_edited_alpha_reports_the_old_and_new_scale(adapter: Path) -> None:
    lock = write_lock(adapter)
    edit_config(adapter, lora_alpha=32)
    (finding,) = check_lock(adapter, lock).by_code("LORA304")
    assert "lora_alpha 16 -> 32" in finding.message
    assert "the adapter's contribution doubles" in finding.message
    assert "2 -> 4" in finding.message
    assert finding.evidence["old_scale"] == 2.0 and finding.evidence["new_scale"] == 4.0
    assert finding.location.file == str(adapter / "adapter_config.json")
    assert finding.location.setting == "lora_alpha"


@pytest.mark.parametrize(
    ("change", "words"),
    [
        ({"use_rslora": True}, "use_rslora false -> true"),
        ({"r": 4}, "r 8 -> 4"),
        ({"target_modules": ["q_proj"]}, "target_modules ['q_proj', 'v_proj'] -> ['q_proj']"),
        ({"alpha_pattern": {"v_proj": 64}}, "layers matching 'v_proj'"),
    ],
)
def test_every_scale_defining_field_is_locked(adapter: Path, change: dict, words: str) -> None:
    lock = write_lock(adapter)
    edit_config(adapter, **change)
    (finding,) = check_lock(adapter, lock).by_code("LORA304")
    assert words in finding.message


def test_a_retrained_adapter_with_another_rank_reports_its_shapes(tmp_path: Path) -> None:
    lock = write_lock(copy_tree(trained_llama(), tmp_path / "old"))
    retrained = copy_tree(trained_llama(r=4, alpha=8), tmp_path / "new")
    (finding,) = check_lock(retrained, lock).by_code("LORA304")
    assert "r 8 -> 4" in finding.message and "lora_alpha 16 -> 8" in finding.message
    assert "changed shape" in finding.message and "[8, 64] -> [4, 64]" in finding.message


def test_same_config_with_other_weights_is_a_note_not_drift(tmp_path: Path) -> None:
    lock = write_lock(copy_tree(trained_llama(), tmp_path / "a"))
    other = tmp_path / "b"
    train_steps(lora(llama()), steps=1).save_pretrained(other)
    report = check_lock(other, lock)
    assert not report.findings
    assert any("weights differ" in n.message for n in report.notes)


def test_a_live_model_locks_like_its_saved_adapter(tmp_path: Path) -> None:
    model = train_steps(lora(llama()))
    model.save_pretrained(tmp_path / "saved")
    live, saved = build_lock(model)["adapters"]["default"], build_lock(tmp_path / "saved")["adapters"]["default"]
    assert live == saved
    lock = write_lock(model, tmp_path / "live.json")
    assert not check_lock(model, lock).findings
    assert not check_lock(tmp_path / "saved", lock).findings


def test_a_live_model_whose_alpha_was_edited_drifts_from_its_lock(tmp_path: Path) -> None:
    model = lora(llama())
    lock = write_lock(model, tmp_path / "live.json")
    model.peft_config["default"].lora_alpha = 64
    (finding,) = check_lock(model, lock).by_code("LORA304")
    assert "lora_alpha 16 -> 64" in finding.message and "quadruples" in finding.message


def test_a_run_folder_is_locked_by_its_last_checkpoint(tmp_path: Path) -> None:
    run = copy_tree(training_run(alphas=(16, 16)), tmp_path / "run")
    lock = write_lock(run)
    assert lock == run / LOCK_NAME
    assert build_lock(run)["adapters"] == build_lock(run / "checkpoint-20")["adapters"]
    assert not check_lock(run, lock).findings


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ('{"lora_lint_lock": 1, "adapters": {', "not valid JSON"),
        ("[]", "expected a JSON object"),
        ('{"lora_lint_lock": 99, "adapters": {}}', "unknown format 99"),
        ('{"lora_lint_lock": 1, "adapters": {}}', "no adapters recorded"),
        ('{"lora_lint_lock": 1, "adapters": {"default": {"config": {"r": 8}}}}', "lacks lora_alpha"),
    ],
)
def test_a_malformed_lock_is_a_usage_error_naming_the_file(tmp_path: Path, text: str, words: str) -> None:
    path = tmp_path / "lora.lock.json"
    path.write_text(text)
    with pytest.raises(UsageError, match=words) as info:
        read_lock(path)
    assert str(path) in str(info.value)


def test_a_missing_lock_is_a_usage_error(tmp_path: Path, adapter: Path) -> None:
    with pytest.raises(UsageError, match="not found"):
        check_lock(adapter, tmp_path / "nope.json")


def test_locking_something_that_is_not_an_adapter_is_a_usage_error(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match="not an adapter folder"):
        build_lock(tmp_path)
    with pytest.raises(UsageError, match="no peft_config"):
        build_lock(llama())


def test_locking_and_checking_a_live_model_leaves_it_as_it_was(tmp_path: Path) -> None:
    from tests.state import assert_unchanged, snapshot

    model = train_steps(lora(llama()))
    before = snapshot(model)
    lock = write_lock(model, tmp_path / "live.json")
    check_lock(model, lock)
    assert_unchanged(before, snapshot(model))


def test_the_lock_command_writes_the_lock_and_refuses_a_folder_without_adapters(tmp_path: Path) -> None:
    from tests.cli.conftest import run_cli

    folder = copy_tree(trained_llama(), tmp_path / "adapter")
    done = run_cli("lock", str(folder), "-o", str(tmp_path / "x.lock.json"))
    assert done.rc == 0, done.err
    assert "adapter 'default': r=8 lora_alpha=16 scale 2 (alpha/r), 8 tensors" in done.out
    assert read_lock(tmp_path / "x.lock.json")["adapters"]["default"]["scale"] == 2.0
    (tmp_path / "empty").mkdir()
    refused = run_cli("lock", str(tmp_path / "empty"))
    assert refused.rc == 2 and len(refused.err_lines) == 1
    assert "not an adapter folder" in refused.err
