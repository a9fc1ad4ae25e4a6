"""An installed plugin's loader claims a kind of TARGET the built-in ones do not know (``hub://org/model``)."""

from __future__ import annotations

import json
import os
from pathlib import Path

from tests.cli.conftest import REPO, run_cli

LOADER_SOURCE = '''
from lora_lint import hookimpl
from lora_lint.context import Setup
from lora_lint.findings import Note


@hookimpl
def lora_lint_load_setup(target, settings, options):
    if not target.startswith("hub://"):
        return None
    if target == "hub://org/unknown":
        return None  # a hub id this loader cannot resolve: the next loader is asked
    from tests.tiny_models import llama, lora

    model = lora(llama(), target_modules=["q_proj", "value"])
    seen = f"options {type(options).__name__}, model {options.get('model')}, lock {options['lock']}"
    return [Setup(target=target, model=model, notes=[Note(seen, target)])]
'''


def _install_loader(site: Path) -> dict[str, str]:
    """A real (unpacked) distribution with a ``lora_lint`` entry point; the environment that finds it."""
    (site / "hub_loader.py").write_text(LOADER_SOURCE)
    info = site / "hub_loader-1.0.dist-info"
    info.mkdir()
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: hub-loader\nVersion: 1.0\n")
    (info / "entry_points.txt").write_text("[lora_lint]\nhub = hub_loader\n")
    (info / "RECORD").write_text("")
    return {"PYTHONPATH": os.pathsep.join([str(site), str(REPO), os.environ.get("PYTHONPATH", "")])}


def test_a_plugin_loader_claims_a_hub_target_from_the_command_line(tmp_path: Path) -> None:
    env = _install_loader(tmp_path)
    result = run_cli("check", "hub://org/model", "--no-probe", "--select", "LORA101", "-f", "json", env=env)
    assert result.rc == 1, result.err
    report = json.loads(result.out)
    assert [(f["code"], f["target"]) for f in report["findings"]] == [("LORA101", "hub://org/model")]
    assert "'value'" in report["findings"][0]["message"]
    notes = [n["message"] for n in report["notes"]]
    assert "options LoadOptions, model None, lock None" in notes


def test_a_target_no_loader_claims_is_one_usage_error_from_the_loader_hook(tmp_path: Path) -> None:
    env = _install_loader(tmp_path)
    result = run_cli("check", "hub://org/unknown", "--no-probe", env=env)
    assert result.rc == 2
    assert result.err.strip().splitlines()[-1].endswith(
        "hub://org/unknown: not a factory (file.py:func or package.module:func), "
        "an adapter folder (adapter_config.json), a run folder (checkpoint-*/) or an axolotl / LLaMA-Factory YAML config"
    )
    assert "no such file" not in result.err and "Traceback" not in result.err


def test_without_the_plugin_a_hub_target_is_not_mistaken_for_a_missing_file() -> None:
    result = run_cli("check", "hub://org/model", "--no-probe")
    assert result.rc == 2 and "not a factory" in result.err and "no such file" not in result.err
