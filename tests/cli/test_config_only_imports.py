"""A saved adapter or run checked without ``--model`` imports no torch, transformers or peft, and finds
exactly what the same check finds with peft's own LoraConfig in a process that has torch imported."""

from __future__ import annotations

import contextlib
import io
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from lora_lint.cli import main
from tests.cli.conftest import REPO
from tests.saved_adapters import copy_tree, edit_config, trained_llama, training_run

HEAVY = ("torch", "transformers", "peft")

SCRIPT = """
import contextlib, io, json, sys
from lora_lint.cli import main
out = io.StringIO()
with contextlib.redirect_stdout(out):
    try:
        code = main(json.loads(sys.argv[1]), standalone_mode=False)
    except SystemExit as exc:
        code = exc.code
print(json.dumps({"code": code or 0, "out": out.getvalue(), "heavy": [m for m in %r if m in sys.modules]}))
""" % (HEAVY,)


def _alone(args: list[str]) -> dict[str, Any]:
    """The check in a fresh interpreter: its exit code, its JSON report, the heavy modules it imported."""
    proc = subprocess.run(
        [sys.executable, "-c", SCRIPT, json.dumps(args)], cwd=REPO, capture_output=True, text=True, check=True
    )
    result: dict[str, Any] = json.loads(proc.stdout.strip().splitlines()[-1])
    return result


def _with_peft(args: list[str], monkeypatch: pytest.MonkeyPatch) -> dict[str, Any]:
    """The same check in this process (torch imported), every config built as peft's LoraConfig, as before."""
    import lora_lint.facts.model as model_facts

    monkeypatch.setattr(model_facts, "config_view", model_facts.config_from_kwargs)
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        try:
            code = main(args, standalone_mode=False)
        except SystemExit as exc:
            code = exc.code
    return {"code": code or 0, "out": out.getvalue()}


@pytest.fixture(scope="module")
def bad_adapter(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A trained adapter whose config was edited by hand: one target string, scale 64 / 2, patterns."""
    folder = copy_tree(trained_llama(), tmp_path_factory.mktemp("bad") / "adapter")
    edit_config(folder, target_modules="q_proj", lora_alpha=64, r=2, alpha_pattern={"v_proj": -8}, lora_dropout=1.0)
    return folder


@pytest.fixture(scope="module")
def pattern_adapter(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = copy_tree(trained_llama(), tmp_path_factory.mktemp("patterns") / "adapter")
    edit_config(folder, rank_pattern={r"layers\.1\..*q_proj": 4}, layers_to_transform=[1], layers_pattern="layers")
    return folder


TARGETS = {
    "adapter": lambda request: trained_llama(),
    "run": lambda request: training_run((16, 32), (10, 20), final=True),
    "bad-adapter": lambda request: request.getfixturevalue("bad_adapter"),
    "pattern-adapter": lambda request: request.getfixturevalue("pattern_adapter"),
}
SELECTIONS = {"config-rules": ["--select", "LORA102,LORA301"], "default": []}


@pytest.mark.parametrize("selection", SELECTIONS.values(), ids=SELECTIONS.keys())
@pytest.mark.parametrize("target", TARGETS.values(), ids=TARGETS.keys())
def test_config_only_check_imports_no_torch_and_finds_the_same(
    target: Any, selection: list[str], request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch
) -> None:
    args = ["check", str(target(request)), *selection, "--no-probe", "--format", "json"]
    alone = _alone(args)
    assert alone["heavy"] == []
    assert "torch" in sys.modules
    assert alone["code"] == _with_peft(args, monkeypatch)["code"]
    assert json.loads(alone["out"]) == json.loads(_with_peft(args, monkeypatch)["out"])


def _codes(result: dict[str, Any]) -> list[str]:
    return sorted(f["code"] for f in json.loads(result["out"])["findings"])


def test_a_hand_edited_config_still_fires_its_config_rules_without_torch(bad_adapter: Path) -> None:
    result = _alone(["check", str(bad_adapter), "--no-probe", "--format", "json"])
    assert result["heavy"] == []
    # scale 64/2 (LORA301), alpha_pattern -8 (LORA306), dropout 1.0 (LORA307), and the string target
    # selects none of the saved layers while their rank is 8, not 2 (LORA603 twice)
    assert _codes(result) == ["LORA301", "LORA306", "LORA307", "LORA603", "LORA603"]
    messages = [f["message"] for f in json.loads(result["out"])["findings"]]
    assert any("32.0 = alpha 64 / r 2" in m for m in messages)
    assert any("target_modules 'q_proj' does not select" in m for m in messages)


def test_a_run_with_alpha_changed_reports_it_without_torch() -> None:
    result = _alone(["check", str(training_run((16, 32), (10, 20), final=True)), "--no-probe", "--format", "json"])
    assert result["heavy"] == []
    assert _codes(result) == ["LORA304"]
    assert result["code"] == 1


def test_patterns_and_layer_filters_are_applied_without_torch(pattern_adapter: Path) -> None:
    result = _alone(["check", str(pattern_adapter), "--no-probe", "--format", "json"])
    assert result["heavy"] == []
    messages = [f["message"] for f in json.loads(result["out"])["findings"] if f["code"] == "LORA603"]
    # rank_pattern gives layer 1's q_proj r=4 (saved with 8); layers_to_transform=[1] leaves layer 0's tensors out
    assert any("model.layers.1.self_attn.q_proj (saved with rank 8, config gives r=4)" in m for m in messages)
    assert any("2 layers" in m and "model.layers.0.self_attn.q_proj" in m for m in messages)


@pytest.mark.parametrize(
    ("targets", "kind"),
    [
        (["q_proj", ".*v_proj"], "regex-in-list"),
    ],
)
def test_regex_misuse_in_a_saved_config_is_found_without_a_base_or_torch(tmp_path: Path, targets, kind) -> None:
    """peft reads a list entry literally and a string as a regex whatever the model, so no base is needed."""
    adapter = copy_tree(trained_llama(), tmp_path / "adapter")
    edit_config(adapter, target_modules=targets)
    result = _alone(["check", str(adapter), "--no-probe", "--select", "LORA102", "--format", "json"])
    assert result["heavy"] == []
    (finding,) = json.loads(result["out"])["findings"]
    assert (finding["code"], finding["evidence"]["kind"]) == ("LORA102", kind)


def test_a_correct_list_or_regex_in_a_saved_config_is_quiet_without_a_base(tmp_path: Path) -> None:
    adapter = copy_tree(trained_llama(), tmp_path / "adapter")
    edit_config(adapter, target_modules=r".*\.(q_proj|v_proj)")
    result = _alone(["check", str(adapter), "--no-probe", "--select", "LORA102", "--format", "json"])
    assert json.loads(result["out"])["findings"] == []
