"""``--help``, ``rules`` and ``explain`` answer from metadata: no torch, transformers or peft, and fast."""

from __future__ import annotations

import json
import subprocess
import sys
import time

from tests.cli.conftest import REPO

HEAVY = ("torch", "transformers", "peft", "bitsandbytes")

SCRIPT = """
import contextlib, io, json, sys, time
start = time.perf_counter()
from lora_lint.cli import main
for args in (["--help"], ["check", "--help"], ["rules"], ["rules", "--format", "markdown"], ["explain", "LORA101"]):
    with contextlib.redirect_stdout(io.StringIO()):
        assert main(args, standalone_mode=False) in (None, 0), args
print(json.dumps({"heavy": [m for m in %r if m in sys.modules], "seconds": time.perf_counter() - start}))
""" % (HEAVY,)


def test_help_rules_and_explain_import_no_heavy_library() -> None:
    proc = subprocess.run([sys.executable, "-c", SCRIPT], cwd=REPO, capture_output=True, text=True, check=True)
    result = json.loads(proc.stdout.strip().splitlines()[-1])
    assert result["heavy"] == []
    # five commands, registry built each time; a torch import alone takes seconds
    assert result["seconds"] < 2.0, result


def test_rules_command_answers_in_well_under_a_second() -> None:
    start = time.perf_counter()
    proc = subprocess.run([str(sys.executable), "-m", "lora_lint", "rules"], cwd=REPO, capture_output=True, text=True)
    elapsed = time.perf_counter() - start
    assert proc.returncode == 0, proc.stderr
    assert "LORA101" in proc.stdout
    assert elapsed < 3.0
