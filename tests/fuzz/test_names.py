"""Folder names holding bytes that are not UTF-8: every format stays valid text, the byte shown as ``\\xff``."""

from __future__ import annotations

import json
import os
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from tests.fuzz.conftest import assert_refused, cli, write_adapter

#: how the folder b"ad\xffapter" is shown in every report
SHOWN = "ad\\xffapter"


def undecodable(parent: Path, name: bytes) -> Path:
    """``parent/name`` as Python names it (os.fsdecode keeps the bad byte as a lone surrogate)."""
    path = Path(os.fsdecode(os.fsencode(parent) + b"/" + name))
    try:
        path.mkdir()
    except OSError as exc:  # pragma: no cover - a file system that only takes UTF-8 names
        pytest.skip(f"this file system refuses a name that is not UTF-8: {exc}")
    return path


def parsed(fmt: str, out: str) -> object:
    """The report read back as its format's parser reads it (text formats: the text itself)."""
    if fmt in ("json", "sarif", "gitlab"):
        return json.loads(out)
    if fmt == "json-lines":
        return [json.loads(line) for line in out.splitlines()]
    if fmt == "junit":
        return ET.fromstring(out.split("\n", 1)[1])
    return out


def strings(value: object) -> str:
    """Every string a parsed JSON report holds, one a line (escapes decoded, as a reader sees them)."""
    if isinstance(value, str):
        return value
    if isinstance(value, dict):
        return "\n".join(strings(v) for v in value.values())
    if isinstance(value, list):
        return "\n".join(strings(v) for v in value)
    return ""


FORMATS = ["text", "json", "json-lines", "sarif", "github", "gitlab", "junit"]


@pytest.mark.parametrize("fmt", FORMATS)
def test_a_finding_in_a_folder_named_with_a_bad_byte(fmt: str, tmp_path: Path) -> None:
    import numpy as np

    not_lora = {"model.layers.0.mlp.weight": np.ones((4, 4), np.float32)}  # LORA604: a finding to report
    folder = write_adapter(undecodable(tmp_path, b"ad\xffapter"), tensors=not_lora)
    answer = cli("check", str(folder), "--format", fmt)
    assert answer.rc == 1, (answer.rc, answer.err)
    answer.out.encode("utf-8")  # what a UTF-8 stdout takes: no lone surrogate left
    report = parsed(fmt, answer.out)
    shown = strings(report) if fmt in ("json", "json-lines", "sarif", "gitlab") else answer.out
    assert SHOWN in shown, answer.out[:2000]
    if fmt == "sarif":
        uri = json.loads(answer.out)["runs"][0]["results"][0]["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
        assert "ad%5Cxffapter" in uri, uri  # a valid URI, the escape percent-encoded


@pytest.mark.parametrize("fmt", ["json", "sarif", "junit"])
def test_a_clean_adapter_in_such_a_folder_exits_zero(fmt: str, tmp_path: Path) -> None:
    folder = write_adapter(undecodable(tmp_path, b"go\xe9od"))
    answer = cli("check", str(folder), "--format", fmt)
    assert answer.rc == 0, (answer.rc, answer.err)
    answer.out.encode("utf-8")
    parsed(fmt, answer.out)


def test_a_refusal_names_the_folder_as_text(tmp_path: Path) -> None:
    folder = undecodable(tmp_path, b"ad\xffapter")
    (folder / "adapter_config.json").write_text("{broken")
    line = assert_refused(cli("check", str(folder), "--format", "sarif"), SHOWN, "malformed")
    line.encode("utf-8")


def test_report_written_to_a_file_is_utf8(tmp_path: Path) -> None:
    import numpy as np

    not_lora = {"model.layers.0.mlp.weight": np.ones((4, 4), np.float32)}  # LORA604: a finding to report
    folder = write_adapter(undecodable(tmp_path, b"ad\xffapter"), tensors=not_lora)
    out = tmp_path / "report.sarif"
    answer = cli("check", str(folder), "--format", "sarif", "-o", str(out))
    assert answer.rc == 1, answer.err
    assert SHOWN in strings(json.loads(out.read_bytes().decode("utf-8")))
