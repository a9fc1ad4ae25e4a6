"""LORA401 cases: a targeted layer the forward never calls, against the same module with every layer used."""

from __future__ import annotations

from tests.probe.models import SkipsLayer, build, mlp_batch
from tests.tiny_models import MLP

CODE = "LORA401"


def bad(tmp_path):
    return {"model": build(SkipsLayer, ["lin0", "lin1", "proj"]), "batch": mlp_batch()}


def good(tmp_path):
    return {"model": build(MLP, ["lin0", "lin1"]), "batch": mlp_batch()}


def fixed(tmp_path, findings):
    dropped = {f.location.module.rsplit(".", 1)[-1] for f in findings if "Drop it from target_modules" in f.hint}
    assert dropped == {"proj"}, findings
    return {"model": build(SkipsLayer, [t for t in ["lin0", "lin1", "proj"] if t not in dropped]), "batch": mlp_batch()}
