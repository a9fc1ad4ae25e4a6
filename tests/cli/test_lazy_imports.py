"""``--help``, ``rules`` and ``explain`` answer from metadata: no torch, transformers or peft.

How fast they answer is a figure of ``benchmarks/startup.py``, not a timed test.
"""

from __future__ import annotations

import json
import subprocess
import sys

from tests.cli.conftest import REPO

HEAVY = ("torch", "transformers", "peft", "bitsandbytes")

SCRIPT = """
import contextlib, io, json, sys
from lora_lint.cli import main
for args in (["--help"], ["check", "--help"], ["rules"], ["rules", "--format", "markdown"], ["explain", "LORA101"]):
    with contextlib.redirect_stdout(io.StringIO()):
        assert main(args, standalone_mode=False) in (None, 0), args
print(json.dumps({"heavy": [m for m in %r if m in sys.modules]}))
""" % (HEAVY,)


def test_help_rules_and_explain_import_no_heavy_library() -> None:
    proc = subprocess.run([sys.executable, "-c", SCRIPT], cwd=REPO, capture_output=True, text=True, check=True)
    result = json.loads(proc.stdout.strip().splitlines()[-1])
    assert result["heavy"] == []


def test_rules_command_runs_as_a_module() -> None:
    proc = subprocess.run([str(sys.executable), "-m", "lora_lint", "rules"], cwd=REPO, capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    assert "LORA101" in proc.stdout


def test_check_help_lists_every_kind_of_target() -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "lora_lint", "check", "--help"], cwd=REPO, capture_output=True, text=True, check=True
    )
    for kind in ("ADAPTER_DIR", "RUN_DIR", "MERGED_DIR", "--model BASE", "axolotl", "LLaMA-Factory", ".yaml"):
        assert kind in proc.stdout, kind
