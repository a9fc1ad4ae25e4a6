"""Locks where users look: ``lock ADAPTER_DIR`` says where it wrote, ``check ADAPTER_DIR`` finds that lock itself."""

from __future__ import annotations

from pathlib import Path

from tests.cli.conftest import run_cli
from tests.saved_adapters import copy_tree, edit_config, trained_llama


def test_lock_says_where_it_wrote_and_check_picks_the_lock_up_from_the_folder(tmp_path: Path) -> None:
    folder = copy_tree(trained_llama(), tmp_path / "adapter")
    done = run_cli("lock", str(folder))
    assert done.rc == 0, done.err
    assert f"wrote {folder / 'lora.lock.json'}" in done.out
    assert f"`lora-lint check {folder}` compares against it from now on" in done.out

    same = run_cli("check", str(folder), "--select", "LORA304")
    assert (same.rc, same.err) == (0, ""), same.out + same.err
    edit_config(folder, lora_alpha=32)
    drift = run_cli("check", str(folder), "--select", "LORA304")
    assert drift.rc == 1, drift.out + drift.err
    assert "LORA304" in drift.out and "16 -> 32" in drift.out


def test_a_folder_without_a_lock_is_not_compared(tmp_path: Path) -> None:
    folder = copy_tree(trained_llama(), tmp_path / "adapter")
    edit_config(folder, lora_alpha=32)
    run = run_cli("check", str(folder), "--select", "LORA304")
    assert run.rc == 0 and "LORA304" not in run.out, run.out + run.err


def test_a_lock_written_elsewhere_names_the_option_that_reads_it(tmp_path: Path) -> None:
    folder = copy_tree(trained_llama(), tmp_path / "adapter")
    done = run_cli("lock", str(folder), "-o", str(tmp_path / "x.lock.json"))
    assert done.rc == 0, done.err
    assert f"compare with `lora-lint check {folder} --lock {tmp_path / 'x.lock.json'}`" in done.out


def test_a_missing_lock_fails_in_one_line_before_anything_loads(tmp_path: Path) -> None:
    folder = copy_tree(trained_llama(), tmp_path / "adapter")
    run = run_cli("check", str(folder), "--lock", str(tmp_path / "nope.json"))
    assert run.rc == 2
    assert run.err_lines == [f"lora-lint: error: lock file {tmp_path / 'nope.json'} not found (write one with `lora-lint lock PATH`)"]
