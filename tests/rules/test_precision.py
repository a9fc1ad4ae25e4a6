"""Setups peft supports that must stay quiet, each beside the broken variant that must still fire."""

from __future__ import annotations

import ast
import json
import re
import warnings
from pathlib import Path

import pytest
import torch
from peft import LoraConfig, get_peft_model

from lora_lint import Severity, lint
from tests.rules.cases.lora106_moe_experts_untargeted import _config_route as moe_route
from tests.rules.precision_models import attention, attention_batch, convs, convs_batch, resnet
from tests.rules.runner import lint_target, only, run
from tests.tiny_models import bert_classifier, llama, lora
from tests.versions import fused_experts_only


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


# -- LORA204: several adapters active per layer ----------------------------------------------------


def _two_adapters_active_on_the_layers(train_other: bool = True):
    from peft.tuners.lora import LoraLayer

    model = lora(llama())
    model.add_adapter("other", LoraConfig(r=8, lora_alpha=16, target_modules=["q_proj", "v_proj"]))
    for module in model.modules():
        if isinstance(module, LoraLayer):
            module.set_adapter(["default", "other"])  # peft's multi-active support, set on the layers
    if not train_other:
        for module in model.modules():
            if isinstance(module, LoraLayer):
                module.set_adapter(["default"])
        for name, param in model.named_parameters():
            if ".other." in name:
                param.requires_grad_(True)
    return model


def test_adapters_active_together_on_the_layers_are_active() -> None:
    model = _two_adapters_active_on_the_layers()
    assert model.active_adapters == ["default"]  # the model-level field still names one
    report = lint(model)
    assert not report.findings, report.format_findings()


def test_a_trainable_adapter_no_layer_runs_is_inactive() -> None:
    model = _two_adapters_active_on_the_layers(train_other=False)
    (finding,) = only(run(model, "LORA204"), "LORA204")
    assert finding.location.adapter == "other"


# -- LORA302: convolutions -------------------------------------------------------------------------


def test_a_conv_kernel_counts_toward_the_rank_an_update_can_reach() -> None:
    model = get_peft_model(convs(), LoraConfig(r=8, lora_alpha=8, target_modules=["wide"]))
    report = lint(model, batch=convs_batch())  # Conv2d(5, 10, 3): the update is 10 x 45, so rank 8 fits
    assert not report.findings, report.format_findings()


def test_a_pointwise_conv_below_the_rank_is_reported_with_its_true_sizes() -> None:
    model = get_peft_model(convs(), LoraConfig(r=8, lora_alpha=8, target_modules=["point"]))
    (finding,) = only(run(model, "LORA302"), "LORA302")
    # Conv2d(10, 3, 1): rank at most 3; lora_A 8 x 10 and lora_B 3 x 8 hold 104 numbers, the layer 30
    assert "= 3 on" in finding.message and "holds 104 numbers" in finding.message and "itself 30" in finding.message
    assert "r below 3" in finding.hint and "'point': 1" in finding.hint


# -- LORA104: an entry that is the whole name of many modules --------------------------------------


def test_modules_to_save_may_name_every_batchnorm_of_a_resnet() -> None:
    model = get_peft_model(
        resnet(), LoraConfig(r=4, target_modules=["convolution"], modules_to_save=["classifier", "normalization"])
    )
    report = lint(model)
    assert not report.findings, report.format_findings()


def test_a_suffix_only_match_beside_whole_names_still_warns() -> None:
    model = get_peft_model(resnet(), LoraConfig(r=4, target_modules=["convolution"], modules_to_save=["classifier", "ization"]))
    (finding,) = only(run(model, "LORA104"), "LORA104")
    assert finding.evidence["suffix_only"] and "only end" in finding.message


# -- LORA103: peft's own modules_to_save in a saved config -----------------------------------------


def _saved_bert_seq_cls(tmp_path: Path, modules_to_save: list[str] | None) -> tuple[Path, Path]:
    base, adapter = tmp_path / "base", tmp_path / "adapter"
    bert_classifier().save_pretrained(base)
    config = LoraConfig(r=8, lora_alpha=16, target_modules=["query", "value"], task_type="SEQ_CLS",
                        modules_to_save=modules_to_save)
    get_peft_model(bert_classifier(), config).save_pretrained(adapter)
    return base, adapter


def test_a_saved_seq_cls_adapter_carries_peft_own_heads_quietly(tmp_path: Path) -> None:
    base, adapter = _saved_bert_seq_cls(tmp_path, None)
    written = json.loads((adapter / "adapter_config.json").read_text())["modules_to_save"]
    assert {"classifier", "score"} <= set(written)  # peft wrote its defaults; BERT has no `score`
    report = lint_target(adapter, model=base, select="LORA1")
    assert not report.findings, report.format_findings()


def test_a_user_entry_beside_peft_own_heads_that_matches_nothing_is_reported(tmp_path: Path) -> None:
    base, adapter = _saved_bert_seq_cls(tmp_path, ["pooler_dense"])
    (finding,) = only(lint_target(adapter, model=base, select="LORA1"), "LORA103")
    assert finding.evidence["entry"] == "pooler_dense"


# -- LORA106: MoE adapters on attention only -------------------------------------------------------


@pytest.mark.parametrize("targets", [["q_proj", "v_proj"], ["q_proj", "k_proj", "v_proj", "o_proj"]])
def test_an_moe_adapter_on_attention_only_is_at_most_info(targets) -> None:
    report = lint(moe_route(target_modules=targets), probe=False, select=["LORA1"])
    assert report.exit_code(fail_on="warning") == 0, report.format_findings()
    assert all(f.severity is Severity.INFO for f in report.findings)


@fused_experts_only
def test_an_moe_adapter_whose_targets_name_the_mlp_warns_that_the_experts_are_missed() -> None:
    (finding,) = lint(moe_route(target_modules=["q_proj", "gate_proj", "up_proj", "down_proj"]), probe=False,
                      select=["LORA106"]).findings
    assert finding.severity is Severity.WARNING and finding.evidence["experts_meant"]


# -- fix hints are fixes lint accepts --------------------------------------------------------------


def _entry_in(hint: str) -> str:
    match = re.search(r"Add '([^']+)' to modules_to_save", hint)
    assert match, hint
    return match.group(1)


@pytest.mark.parametrize("unfreeze", ["model.norm", "input_layernorm"])
def test_lora201_hint_applied_to_the_leak_lints_clean(unfreeze: str) -> None:
    model = lora(llama())
    for name, param in model.named_parameters():
        if unfreeze in name and "lora_" not in name:
            param.requires_grad_(True)
    findings = only(run(model, "LORA201"), "LORA201")
    entries = sorted({_entry_in(f.hint) for f in findings})
    fixed = lora(llama(), modules_to_save=entries)
    report = lint(fixed, probe=False, select=["LORA1", "LORA2"])
    assert not report.findings, (entries, report.format_findings())


def test_lora302_hint_applied_lints_clean() -> None:
    model = get_peft_model(convs(), LoraConfig(r=8, lora_alpha=8, target_modules=["point"]))
    (finding,) = only(run(model, "LORA302"), "LORA302")
    pattern = ast.literal_eval(re.search(r"rank_pattern=(\{[^}]*\})", finding.hint).group(1))
    fixed = get_peft_model(convs(), LoraConfig(r=8, lora_alpha=8, target_modules=["point"], rank_pattern=pattern))
    report = lint(fixed, probe=False, select=["LORA1", "LORA3"])
    assert not report.findings, report.format_findings()


def test_lora104_hint_applied_lints_clean() -> None:
    (finding,) = only(run(lora(llama(), modules_to_save=["norm"]), "LORA104"), "LORA104")
    entries = ast.literal_eval(re.search(r"Use (\[[^\]]*\])", finding.hint).group(1))
    report = lint(lora(llama(), modules_to_save=entries), probe=False, select=["LORA1", "LORA2"])
    assert not report.findings, report.format_findings()


# -- LORA401: aLoRA and the synthetic batch --------------------------------------------------------

alora_supported = pytest.mark.skipif(
    "alora_invocation_tokens" not in LoraConfig.__dataclass_fields__, reason="this peft has no aLoRA"
)


@alora_supported
def test_an_alora_adapter_is_probed_on_a_batch_that_invokes_it() -> None:
    model = lora(llama(), alora_invocation_tokens=[5, 6])
    report = lint(model)
    assert not report.findings, report.format_findings()
    assert not any("probe skipped" in n.message for n in report.notes)


@alora_supported
def test_an_alora_adapter_on_a_user_batch_without_its_invocation_is_dead() -> None:
    model = lora(llama(), alora_invocation_tokens=[5, 6])
    ids = torch.full((2, 8), 7)
    report = lint(model, batch={"input_ids": ids, "labels": ids}, select=["LORA401"])
    assert report.codes == {"LORA401"}, report.format_findings()
    (finding,) = report.findings
    assert finding.evidence["cause"] == "alora-not-invoked"  # the cause is the batch, not the initialisation
    assert "no row of the batch holds its invocation tokens" in finding.message
    assert "invocation sequence into every training example" in (finding.hint or "")


@alora_supported
def test_an_alora_adapter_on_a_user_batch_that_invokes_it_in_one_row_is_quiet() -> None:
    model = lora(llama(), alora_invocation_tokens=[5, 6])
    ids = torch.full((2, 8), 7)
    ids[1, 2:4] = torch.tensor([5, 6])  # peft applies the adapter after the invocation, in that row only
    report = lint(model, batch={"input_ids": ids, "labels": ids})
    assert not report.at_least("warning"), report.format_findings()
    assert "LORA401" in report.ran
