"""The entry-point pre-check: importlib.metadata is skipped only when no distribution can declare lora_lint plugins."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from lora_lint.plugins import may_declare_entry_points


def _dist(site: Path, name: str, entry_points: str | None) -> None:
    info = site / f"{name}-1.0.dist-info"
    info.mkdir(parents=True)
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {name}\nVersion: 1.0\n")
    if entry_points is not None:
        (info / "entry_points.txt").write_text(entry_points)


@pytest.mark.parametrize(
    ("entry_points", "declared"),
    [
        ("[lora_lint]\nhouse = house_rules\n", True),
        ("[console_scripts]\nhouse = house:main\n\n[lora_lint]\nhouse = house_rules\n", True),
        ("[console_scripts]\nhouse = house:main\n", False),
        ("[pytest11]\nlora_lint = house_rules\n", False),  # the name, not the group
        (None, False),
    ],
)
def test_it_reads_the_groups_a_distribution_on_sys_path_declares(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, entry_points: str | None, declared: bool
) -> None:
    _dist(tmp_path, "house_rules", entry_points)
    monkeypatch.setattr(sys, "path", [str(tmp_path)])
    assert may_declare_entry_points("lora_lint") is declared


def test_a_zip_on_sys_path_is_a_maybe(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    archive = tmp_path / "plugins.zip"
    archive.write_bytes(b"PK\x05\x06" + b"\0" * 18)  # an empty zip archive
    monkeypatch.setattr(sys, "path", [str(archive)])
    assert may_declare_entry_points("lora_lint") is True


def test_this_environment_declares_no_lora_lint_plugin_so_the_scan_is_skipped() -> None:
    import importlib.metadata

    found = [ep for ep in importlib.metadata.entry_points(group="lora_lint")]
    assert may_declare_entry_points("lora_lint") is bool(found)
