"""Exact machine output (golden files for every machine format), SARIF validity, colour and progress."""

from __future__ import annotations

import json
import os
import pty
import subprocess
from pathlib import Path

import jsonschema
import pytest
import xmlschema

from lora_lint import __version__
from tests.cli.conftest import LORA_LINT, REPO, run_cli

GOLDEN = Path(__file__).parent / "golden"
DATA = REPO / "tests" / "reporters" / "data"
SCHEMA = json.loads((DATA / "sarif-schema-2.1.0.json").read_text())
#: a factory with a wrong target and the 7B config on meta: findings, notes, two targets
ARGS = (
    "check",
    "examples/wrong_targets.py:build",
    "--model",
    "examples/llama2-7b",
    "--lora-config",
    "examples/llama2-7b/lora_config.json",
    "--select",
    "LORA101",
)


def normalise(text: str) -> str:
    """Paths and the version vary between machines and releases; nothing else may."""
    text = text.replace(REPO.resolve().as_uri() + "/", "file:///<repo>/")
    return text.replace(f'"{__version__}"', '"<version>"')


def assert_golden(name: str, text: str) -> None:
    path = GOLDEN / name
    if os.environ.get("LORA_LINT_UPDATE_GOLDEN"):
        path.write_text(text)
    assert text == path.read_text(), f"{name} differs; LORA_LINT_UPDATE_GOLDEN=1 rewrites it after review"


@pytest.mark.parametrize(
    ("fmt", "suffix"),
    [
        ("json", "json"),
        ("sarif", "sarif"),
        ("github", "txt"),
        ("junit", "junit.xml"),
        ("gitlab", "gitlab.json"),
        ("json-lines", "jsonl"),
    ],
)
def test_machine_formats_match_their_golden_files_exactly(fmt: str, suffix: str) -> None:
    run = run_cli(*ARGS, "--format", fmt)
    assert run.rc == 1
    assert run.err == ""
    assert_golden(f"wrong_targets_and_7b.{suffix}", normalise(run.out))
    if fmt == "sarif":
        log = json.loads(run.out)
        jsonschema.Draft4Validator(SCHEMA).validate(log)
        for result in log["runs"][0]["results"]:
            assert result["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
    if fmt == "junit":
        xmlschema.XMLSchema(DATA / "junit.xsd").validate(run.out)
    if fmt == "gitlab":
        jsonschema.Draft7Validator(json.loads((DATA / "gitlab-code-quality.schema.json").read_text())).validate(json.loads(run.out))
    if fmt == "json-lines":
        lines = [json.loads(line) for line in run.out.splitlines()]
        assert lines == json.loads(run_cli(*ARGS, "--format", "json").out)["findings"]


def test_progress_goes_to_a_terminal_stderr_only_and_stdout_stays_the_report(tmp_path: Path) -> None:
    parent, child = pty.openpty()
    env = {k: v for k, v in os.environ.items() if k not in ("NO_COLOR", "FORCE_COLOR")}
    proc = subprocess.Popen(
        [str(LORA_LINT), *ARGS, "--format", "json"], cwd=REPO, env=env, stdout=subprocess.PIPE, stderr=child, text=True
    )
    os.close(child)
    out, _ = proc.communicate(timeout=300)
    chunks = []
    while True:
        try:
            data = os.read(parent, 4096)
        except OSError:
            break
        if not data:
            break
        chunks.append(data)
    os.close(parent)
    err = b"".join(chunks).decode()
    assert proc.returncode == 1
    assert normalise(out) == (GOLDEN / "wrong_targets_and_7b.json").read_text()
    assert "loading examples/wrong_targets.py:build…" in err
    assert "checking examples/llama2-7b/lora_config.json on examples/llama2-7b…" in err
    assert err.endswith("\r\x1b[K")  # the status line erases itself

