"""LORA402 cases: a forward whose output is detached, against the same module returning its output as is."""

from __future__ import annotations

from tests.probe.models import DetachedOutput, build, mlp_batch
from tests.tiny_models import MLP

CODE = "LORA402"


def bad(tmp_path):
    return {"model": build(DetachedOutput), "batch": mlp_batch()}


def good(tmp_path):
    return {"model": build(MLP), "batch": mlp_batch()}
