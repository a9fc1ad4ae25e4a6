"""Setups peft supports that must stay quiet, each beside the broken variant that must still fire."""

from __future__ import annotations

import warnings

from peft import LoraConfig, get_peft_model

from lora_lint import lint
from tests.rules.precision_models import attention, attention_batch
from tests.rules.runner import only, run


# -- LORA206: nn.MultiheadAttention ---------------------------------------------------------------


def test_a_multihead_attention_lora_owns_the_out_proj_it_wraps() -> None:
    model = get_peft_model(attention(), LoraConfig(r=4, target_modules=["mha"]))
    report = lint(model, batch=attention_batch())
    assert not report.findings, report.format_findings()


def test_a_multihead_attention_lora_wrapped_again_is_nested() -> None:
    model = get_peft_model(attention(), LoraConfig(r=4, target_modules=["mha"]))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # peft warns "modify a model with PEFT for a second time"
        again = get_peft_model(model.base_model.model, LoraConfig(r=4, target_modules=["head"]))
    (finding,) = only(run(again, "LORA206"), "LORA206")
    assert "mha" in finding.evidence["layers"]
