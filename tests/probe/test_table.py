"""The per-layer gradient table: exact text, folding of long healthy runs, and where reports show it."""

from __future__ import annotations

import json
import re

import pytest

from lora_lint import lint
from lora_lint.probe.result import Grad, GradKind, LayerTrace, ProbeResult, SlotProbe
from lora_lint.probe.table import render, rows
from tests.probe.models import SkipsLayer, build, mlp_batch
from tests.tiny_models import llama, lora

CALLED = LayerTrace(calls=1, grad_calls=1, input_requires_grad=True, output_requires_grad=True)


def slot(layer: str, a: Grad, b: Grad, trace: LayerTrace = CALLED, adapter: str = "default") -> SlotProbe:
    return SlotProbe(layer, f"base_model.model.{layer}", adapter, a, b, b_is_zero=True, trace=trace)


OK = (Grad(GradKind.ZERO, 0.0), Grad(GradKind.FINITE, 0.0123))
NONE = Grad(GradKind.NONE)


def test_the_table_text_is_exactly_this_for_a_small_case() -> None:
    probe = ProbeResult(
        device="cpu",
        batch="input[4, 16] float32",
        batch_source="user",
        loss=0.0262,
        loss_source="surrogate",
        loss_requires_grad=True,
        slots=(
            slot("lin0", *OK),
            slot("lin1", Grad(GradKind.NONFINITE, float("nan")), Grad(GradKind.NONFINITE, float("inf"))),
            slot("proj", NONE, NONE, LayerTrace()),
            slot("lin1", NONE, NONE, adapter="other"),
        ),
    )
    assert render(probe, {("lin1", "other"): "inactive"}) == "\n".join(
        [
            "loss 0.0262 (surrogate loss); batch input[4, 16] float32 (given); device cpu",
            "layer  adapter  grad A  grad B    status",
            "lin0   default  0*      1.23e-02  ok",
            "lin1   default  nan     inf       NaN/Inf",
            "proj   default  none    none      DEAD: not called",
            "lin1   other    none    none      (inactive)",
            "* zero by construction while the other matrix is still zero (LoRA init): expected before the first step.",
        ]
    )


def test_without_a_loss_the_table_is_one_line_saying_why() -> None:
    probe = ProbeResult(
        "cpu", "", None, failure="cannot build inputs for Odd: ...; pass a batch", failure_stage="inputs"
    )
    assert render(probe) == "no loss: cannot build inputs for Odd: ...; pass a batch; device cpu"


def test_long_tables_fold_healthy_runs_so_dead_layers_stay_in_view() -> None:
    slots = [slot(f"layers.{i}.q", *OK) for i in range(50)]
    slots[20] = slot("layers.20.q", NONE, NONE, LayerTrace(calls=1))
    probe = ProbeResult("cpu", "x[1] float32", "user", 1.0, "model", True, slots=tuple(slots))
    lines = render(probe).splitlines()
    assert lines[2:8] == [
        "layers.0.q   default  0*      1.23e-02  ok",
        "  ... 19 more ok",
        "layers.20.q  default  none    none      DEAD: no_grad",
        "layers.21.q  default  0*      1.23e-02  ok",
        "  ... 28 more ok",
        "* zero by construction while the other matrix is still zero (LoRA init): expected before the first step.",
    ]


def test_a_real_probe_renders_one_row_per_layer_and_marks_the_dead_one() -> None:
    report = lint(build(SkipsLayer, ["lin0", "lin1", "proj"]), batch=mlp_batch())
    (attachment,) = report.attachments
    # numbers depend on the platform's kernels; the layout around them does not
    masked = re.sub(r" {2,}", " | ", re.sub(r"\d\.\d\de-\d\d|\d\.\d+", "N", attachment.text))
    assert masked == "\n".join(
        [
            "loss N (surrogate loss); batch input[4, 16] float32 (given); device cpu",
            "layer | adapter | grad A | grad B | status",
            "lin0 | default | 0* | N | ok",
            "lin1 | default | 0* | N | ok",
            "proj | default | none | none | DEAD: not called",
            "* zero by construction while the other matrix is still zero (LoRA init): expected before the first step.",
        ]
    )
    assert [r["status"] for r in attachment.data["rows"]] == ["ok", "ok", "DEAD: not called"]
    json.dumps(report.to_dict(), allow_nan=False)


def test_assert_clean_shows_the_table_under_the_findings() -> None:
    report = lint(build(SkipsLayer, ["lin0", "lin1", "proj"]), batch=mlp_batch())
    with pytest.raises(AssertionError) as failure:
        report.assert_clean()
    text = str(failure.value)
    assert text.index("LORA401") < text.index("gradient probe (")
    assert re.search(r"\nproj +default +none +none +DEAD: not called\n", text)


@pytest.mark.parametrize(
    ("kwargs", "attached"),
    [
        pytest.param({}, False, id="healthy-setup"),
        pytest.param({"probe": False}, False, id="probe-off"),
        pytest.param({"select": ["LORA1"]}, False, id="probe-rules-not-selected"),
    ],
)
def test_no_table_when_the_probe_found_nothing_or_did_not_run(kwargs, attached) -> None:
    assert bool(lint(lora(llama()), **kwargs).attachments) is attached


def test_rows_are_plain_data_for_json() -> None:
    probe = ProbeResult("cpu", "x", "user", 1.0, "model", True, slots=(slot("lin0", *OK),))
    assert rows(probe) == [
        {"layer": "lin0", "adapter": "default", "grad_a": "0*", "grad_b": "1.23e-02", "status": "ok"}
    ]
