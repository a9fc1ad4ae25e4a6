"""Targeting facts and LORA101 across real tiny architectures, matched by peft's own code."""

from __future__ import annotations

import pytest

from lora_lint import lint
from lora_lint.context import RuleContext, Setup
from lora_lint.settings import Settings
from tests.tiny_models import bert_classifier, gpt2, llama, llama_kbit, lora, mlp, t5, vit_classifier
from tests.versions import VIT_QV

VIT_OTHER_V = "value" if VIT_QV[1] == "v_proj" else "v_proj"


def _lint101(model):
    return lint(model, probe=False, select=["LORA101"])


CASES = [
    # (id, builder, lora kwargs, unmatched entry or None, a suggestion that must be offered)
    ("llama-seed", llama, {}, None, None),
    ("llama-query", llama, {"target_modules": ["q_proj", "query"]}, "query", "q_proj"),
    ("llama-value", llama, {"target_modules": ["q_proj", "value"]}, "value", "v_proj"),
    ("llama-regex", llama, {"target_modules": r".*\.(q_proj|v_proj)"}, None, None),
    ("llama-all-linear", llama, {"target_modules": "all-linear"}, None, None),
    ("llama-layers", llama, {"layers_to_transform": [1], "layers_pattern": "layers"}, None, None),
    ("llama-exclude", llama, {"target_modules": ["q_proj", "v_proj"], "exclude_modules": ["model.layers.0.self_attn.q_proj"]}, None, None),
    ("gpt2-conv1d", gpt2, {"target_modules": ["c_attn", "attn.c_proj"]}, None, None),
    ("gpt2-llama-names", gpt2, {"target_modules": ["c_attn", "q_proj"]}, "q_proj", "c_attn"),
    ("bert-cls", bert_classifier, {"target_modules": ["query", "value"], "task_type": "SEQ_CLS"}, None, None),
    ("bert-cls-v_proj", bert_classifier, {"target_modules": ["query", "v_proj"], "task_type": "SEQ_CLS"}, "v_proj", "value"),
    ("vit-installed-names", vit_classifier, {"target_modules": VIT_QV, "modules_to_save": ["classifier"], "task_type": None}, None, None),
    # the other major version's name for ViT's value projection: value (4.x) is v_proj in 5.x and back
    ("vit-other-version-name", vit_classifier, {"target_modules": [VIT_QV[0], VIT_OTHER_V], "modules_to_save": ["classifier"], "task_type": None}, VIT_OTHER_V, VIT_QV[1]),
    ("t5-q-v", t5, {"target_modules": ["q", "v"], "task_type": "SEQ_2_SEQ_LM"}, None, None),
    ("t5-v_proj", t5, {"target_modules": ["q", "v_proj"], "task_type": "SEQ_2_SEQ_LM"}, "v_proj", "v"),
    ("mlp", mlp, {"target_modules": ["lin0", "lin1"], "task_type": None}, None, None),
    ("mlp-typo", mlp, {"target_modules": ["lin0", "lin3"], "task_type": None}, "lin3", "lin1"),
]


@pytest.mark.parametrize(("builder", "kwargs", "unmatched", "suggestion"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_lora101_per_entry_on_real_architectures(builder, kwargs, unmatched, suggestion) -> None:
    report = _lint101(lora(builder(), **kwargs))
    if unmatched is None:
        assert not report.findings, report.format_findings()
        return
    (finding,) = report.findings
    assert finding.code == "LORA101"
    assert repr(unmatched) in finding.message
    assert suggestion in finding.evidence["closest"]
    assert suggestion in finding.hint


@pytest.mark.parametrize("bits", [8, 4])
def test_lora101_on_bitsandbytes_bases(bits: int) -> None:
    assert not _lint101(lora(llama_kbit(bits))).findings
    report = _lint101(lora(llama_kbit(bits), target_modules=["q_proj", "query"]))
    assert [f.code for f in report] == ["LORA101"]
    assert "q_proj" in report.findings[0].evidence["closest"]


def test_a_regex_string_is_full_matched_against_whole_paths() -> None:
    report = _lint101(lora(llama(), target_modules=r".*\.(q_proj|v_proj)"))
    assert not report.findings
    ctx = RuleContext(Setup("m", model=lora(llama(), target_modules=r".*\.(q_proj|v_proj)")), Settings())
    facts = ctx.targeting["default"]
    assert len(facts.targeted) == 4
    assert all(k.endswith(("q_proj", "v_proj")) for k in facts.targeted)


def test_layers_to_transform_limits_targeted_modules() -> None:
    model = lora(llama(), layers_to_transform=[1], layers_pattern="layers")
    facts = RuleContext(Setup("m", model=model), Settings()).targeting["default"]
    assert facts.targeted == ("model.layers.1.self_attn.q_proj", "model.layers.1.self_attn.v_proj")


def test_all_linear_excludes_the_output_head() -> None:
    facts = RuleContext(Setup("m", model=lora(llama(), target_modules="all-linear")), Settings()).targeting["default"]
    assert "lm_head" not in facts.targeted
    assert len(facts.targeted) == 2 * 7


def test_matching_works_on_the_base_model_before_wrapping() -> None:
    """The config route: a raw config and an unwrapped base on the meta device, no peft raise needed."""
    import torch
    from transformers import AutoModelForCausalLM

    from tests.tiny_models import llama_config

    with torch.device("meta"):
        base = AutoModelForCausalLM.from_config(llama_config())
    setup = Setup("cfg", base_model=base, lora_configs={"default": {"r": 8, "target_modules": ["query", "value"]}}, weights=False)
    report = lint(setup, probe=False, select=["LORA101"])
    assert sorted(f.evidence["entry"] for f in report) == ["query", "value"]
    assert {"q_proj", "v_proj"} <= {s for f in report for s in f.evidence["closest"]}


def test_an_entry_that_matches_only_containers_is_reported() -> None:
    import torch
    from transformers import AutoModelForCausalLM

    from tests.tiny_models import llama_config

    with torch.device("meta"):
        base = AutoModelForCausalLM.from_config(llama_config())
    setup = Setup("cfg", base_model=base, lora_configs={"default": {"target_modules": ["self_attn", "q_proj"]}}, weights=False)
    (finding,) = lint(setup, probe=False, select=["LORA101"]).findings
    assert "cannot adapt" in finding.message and "LlamaAttention" in finding.message


def _targeting(setup: Setup):
    return RuleContext(setup, Settings()).targeting["default"]


def test_a_modules_to_save_entry_carries_the_spelling_that_wraps_each_module_alone() -> None:
    facts = _targeting(Setup("m", model=lora(llama(), modules_to_save=["norm", "lm_head"])))
    entries = {e.entry: e for e in facts.field_entries("modules_to_save")}
    assert entries["lm_head"].spellings == (("lm_head", "lm_head"),)
    spellings = dict(entries["norm"].spellings)
    assert set(spellings) == set(entries["norm"].matches)  # every norm of this model has a spelling of its own
    assert spellings["model.norm"] == "model.norm" and spellings["model.layers.1.input_layernorm"] == "layers.1.input_layernorm"
    assert all(e.spellings == () for e in facts.entries if e.field != "modules_to_save")


@pytest.mark.parametrize(
    ("target_modules", "named"),
    [(["q_proj", "lm_head"], {"lm_head", "model.layers.0.self_attn.q_proj", "model.layers.1.self_attn.q_proj"}),
     ("all-linear", set())],
)
def test_a_written_config_names_the_targets_modules_to_save_is_held_against(target_modules, named) -> None:
    from tests.tiny_models import on_meta

    raw = {"r": 8, "target_modules": target_modules, "modules_to_save": ["lm_head"]}
    facts = _targeting(Setup("base + lora.json", base_model=on_meta(llama), lora_configs={"default": raw}, weights=False))
    assert facts.named_targets == named


def test_a_live_config_names_no_targets_where_peft_resolves_an_overlap_itself() -> None:
    from peft import LoraConfig
    from peft.tuners.tuners_utils import check_target_module_exists

    hit = check_target_module_exists(LoraConfig(target_modules=["head"], modules_to_save=["head"]), "m.head")
    never = type(hit).__name__ == "_ExcludedModule"
    facts = _targeting(Setup("m", model=lora(llama(), target_modules=["q_proj"], modules_to_save=["lm_head"])))
    assert facts.saved_never_targets is never
    assert facts.named_targets == (frozenset() if never else {"model.layers.0.self_attn.q_proj", "model.layers.1.self_attn.q_proj"})
