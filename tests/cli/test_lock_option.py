"""``lora-lint check FACTORY --lock FILE``: a factory's live model is compared with a recorded lock."""

from __future__ import annotations

from pathlib import Path

from lora_lint.lock import write_lock
from tests.cli.conftest import run_cli
from tests.tiny_models import llama, lora

FACTORY = """
from tests.tiny_models import llama, lora

def build():
    return lora(llama(), lora_alpha={alpha})
"""


def test_a_factory_checked_against_its_lock_is_quiet_until_alpha_changes(tmp_path: Path) -> None:
    lock = write_lock(lora(llama(), lora_alpha=16), tmp_path / "lora.lock.json")
    factory = tmp_path / "build_model.py"

    factory.write_text(FACTORY.format(alpha=16))
    same = run_cli("check", f"{factory}:build", "--lock", str(lock), "--no-probe", "--select", "LORA304")
    # stderr may carry a library's own UserWarning (peft 0.17 on saving); nothing of lora-lint's
    assert same.rc == 0 and "lora-lint" not in same.err and "Traceback" not in same.err, same.out + same.err

    factory.write_text(FACTORY.format(alpha=32))
    drift = run_cli("check", f"{factory}:build", "--lock", str(lock), "--no-probe", "--select", "LORA304")
    assert drift.rc == 1, drift.out + drift.err
    assert "LORA304" in drift.out and "16 -> 32" in drift.out
