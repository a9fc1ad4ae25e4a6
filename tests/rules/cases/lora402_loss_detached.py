"""LORA402 cases: a forward whose output is detached, against the same module returning its output as is."""

from __future__ import annotations

from tests.probe.models import DetachedOutput, build, mlp_batch
from tests.rules.runner import hint_says
from tests.tiny_models import MLP

CODE = "LORA402"


def bad(tmp_path):
    return {"model": build(DetachedOutput), "batch": mlp_batch()}


def good(tmp_path):
    return {"model": build(MLP), "batch": mlp_batch()}


def fixed(tmp_path, findings):
    hint_says(findings, "no no_grad(), detach() or item()")
    return {"model": build(MLP), "batch": mlp_batch()}  # DetachedOutput is MLP with its output detached
