"""LORA107 cases: a YAML LoRA config whose ignore comment outlived the alpha it silenced, and one still in use."""

from __future__ import annotations

from lora_lint.context import Setup
from lora_lint.findings import Location
from tests.rules.runner import hint_says

CODE = "LORA107"
PROBE = False


def _config(tmp_path, alpha, comment="  # lora-lint: ignore[LORA301]"):
    path = tmp_path / "lora.yaml"
    path.write_text(f"r: 8{comment}\nlora_alpha: {alpha}\ntarget_modules: [q_proj, v_proj]\n")
    kwargs = {"r": 8, "lora_alpha": alpha, "target_modules": ["q_proj", "v_proj"]}
    return Setup(target=str(path), lora_configs={"default": kwargs}, weights=False, origin=Location(file=str(path)))


def bad(tmp_path):
    return _config(tmp_path, 16)


def good(tmp_path):
    return _config(tmp_path, 512)


def fixed(tmp_path, findings):
    hint_says(findings, "Remove the suppression")
    return _config(tmp_path, 16, comment="")
