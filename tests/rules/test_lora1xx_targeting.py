"""LORA102-106 edge cases on real tiny models, through a live PeftModel and through the config route."""

from __future__ import annotations

import pytest

from lora_lint import Severity, lint
from lora_lint.context import Setup
from tests.tiny_models import (
    bert_classifier,
    distilbert_classifier,
    gpt2,
    llama,
    llama_config,
    llava,
    lora,
    mlp,
    moe,
    on_meta,
    t5,
    vit_classifier,
)
from tests.rules.runner import lint_target
from tests.versions import TRANSFORMERS_5, VIT_QV, fused_experts_only

SEED = {"r": 8, "lora_alpha": 16, "target_modules": ["q_proj", "v_proj"], "lora_dropout": 0.05, "bias": "none",
        "task_type": "CAUSAL_LM"}


def _config_route(build, *args, adapters=None, **config):
    """The ``--model DIR --lora-config FILE`` route: a meta-device base and the config as written."""
    values = {**SEED, **config}
    values = {k: v for k, v in values.items() if v is not None}
    return Setup("base + lora.json", base_model=on_meta(build, *args), lora_configs=adapters or {"default": values},
                 weights=False)


def _lint(model, **kwargs):
    kwargs.setdefault("select", ["LORA1"])
    return lint(model, probe=False, **kwargs)


def _route(route, build, *args, **config):
    """The same config, live (get_peft_model on real weights) or from a file (meta-device base)."""
    return lora(build(*args), **config) if route == "live" else _config_route(build, *args, **config)


def _only(report, code):
    assert report.codes == {code}, report.format_findings() or "no findings"
    return report.by_code(code)


#: Mixtral's v4 expert names, which peft rewrites into target_parameters on the fused v5 experts
EXPERT_NAMES = {"target_modules": ["w1", "w2", "w3"], "lora_dropout": 0.0}


def _model_and_config(tmp_path, kind: str, config: dict):
    """``lora-lint check --model DIR --lora-config FILE``: a saved base with weights and the config as written."""
    import json

    moe(kind).save_pretrained(tmp_path / "base")
    (tmp_path / "lora.json").write_text(json.dumps({**SEED, **config}))
    return lint_target(None, select="LORA1", model=tmp_path / "base", lora_config=tmp_path / "lora.json")


@fused_experts_only
@pytest.mark.parametrize("route", ["live", "config", "model-and-config"])
def test_lora101_is_quiet_on_mixtral_expert_names_peft_maps_onto_the_fused_experts(route, tmp_path) -> None:
    from peft.tuners.lora import LoraLayer

    # what peft really builds: ParamWrappers on both fused expert tensors of every layer, no target_modules left
    live = lora(moe(), **EXPERT_NAMES)
    wrapped = {getattr(m, "parameter_name", None) for _, m in live.named_modules() if isinstance(m, LoraLayer)}
    assert wrapped == {"gate_up_proj", "down_proj"} and not live.peft_config["default"].target_modules
    if route == "model-and-config":
        report = _model_and_config(tmp_path, "mixtral", EXPERT_NAMES)
    else:
        report = _lint(live if route == "live" else _config_route(moe, **EXPERT_NAMES))
    assert not report.findings, report.format_findings()


@fused_experts_only
@pytest.mark.parametrize("route", ["config", "model-and-config"])
def test_lora101_says_why_expert_names_reach_nothing_where_peft_does_not_map_them(route, tmp_path) -> None:
    # peft itself refuses this config on PhiMoE: it maps expert names only for Mixtral and the Qwen-MoE family
    with pytest.raises(ValueError, match="not found in the base model"):
        lora(moe("phimoe"), **EXPERT_NAMES)
    if route == "config":
        report = _lint(_config_route(moe, "phimoe", **EXPERT_NAMES), select=["LORA101"])
    else:
        report = _model_and_config(tmp_path, "phimoe", EXPERT_NAMES)
    findings = report.by_code("LORA101")
    assert sorted(f.evidence["entry"] for f in findings) == ["w1", "w2", "w3"]
    for f in findings:
        assert "fused into 3-D parameters (experts.down_proj, experts.gate_up_proj)" in f.message
        assert "peft does not turn" in f.message and "'phimoe'" in f.message
        assert "target_parameters=['experts.down_proj', 'experts.gate_up_proj']" in f.hint


# -- LORA102 target-regex-misuse ---------------------------------------------------------------------------

STRING_MISUSE = [
    # (target_modules as one string, the list it was meant as, a full-path regex that works)
    ("q_proj", ["q_proj"], r".*\.q_proj"),
    ("q_proj|v_proj", ["q_proj", "v_proj"], r".*\.(q_proj|v_proj)"),
    ("q_proj,v_proj", ["q_proj", "v_proj"], r".*\.(q_proj|v_proj)"),
    ("(q_proj|v_proj)", ["q_proj", "v_proj"], r".*\.(q_proj|v_proj)"),
]


@pytest.mark.parametrize(("string", "as_list", "regex"), STRING_MISUSE, ids=[s[0] for s in STRING_MISUSE])
def test_lora102_reports_a_plain_name_string_once_with_both_fixes(string, as_list, regex) -> None:
    (finding,) = _only(_lint(_config_route(llama, target_modules=string)), "LORA102")
    assert finding.severity is Severity.ERROR
    assert "full-matches" in finding.message and "model.layers.0.self_attn.q_proj" in finding.message
    assert f"target_modules={as_list!r}" in finding.hint
    assert f"r'{regex}'" in finding.hint
    assert finding.evidence["would_reach"]


def test_lora102_names_a_name_in_the_string_that_no_module_has() -> None:
    (finding,) = _only(_lint(_config_route(llama, target_modules="q_proj|value")), "LORA102")
    assert "target_modules=['q_proj']" in finding.hint
    assert "'value' names no module (closest: v_proj" in finding.hint


def test_lora102_reports_a_regex_that_matches_only_part_of_the_path() -> None:
    (finding,) = _only(_lint(_config_route(llama, target_modules=r"self_attn\.(q|v)_proj")), "LORA102")
    assert "only part of the module paths" in finding.message
    assert r"r'.*self_attn\.(q|v)_proj'" in finding.hint


def test_lora102_reports_a_regex_inside_a_list_on_a_live_model_with_the_whole_corrected_list() -> None:
    report = _lint(lora(llama(), target_modules=["v_proj", ".*q_proj"]))
    (finding,) = _only(report, "LORA102")
    assert "matches list entries literally" in finding.message
    assert finding.location.setting == "target_modules: '.*q_proj'"
    assert "target_modules=['q_proj', 'v_proj']" in finding.hint


def test_lora102_suggests_the_all_linear_shorthand_for_a_near_miss() -> None:
    (finding,) = _only(_lint(_config_route(llama, target_modules="all_linear")), "LORA102")
    assert "target_modules='all-linear'" in finding.hint


def test_lora102_reports_an_invalid_regex_instead_of_crashing() -> None:
    (finding,) = _only(_lint(_config_route(llama, target_modules="q_proj(")), "LORA102")
    assert "not a valid regex" in finding.message and finding.evidence["kind"] == "invalid-regex"


def test_lora102_reads_t5_short_names_in_a_string() -> None:
    (finding,) = _only(_lint(_config_route(t5, target_modules="q|v", task_type="SEQ_2_SEQ_LM")), "LORA102")
    assert "target_modules=['q', 'v']" in finding.hint


def test_a_misread_target_string_is_lora102s_alone_whatever_is_selected() -> None:
    # each rule judges from the targeting fact, not from which other rules run
    route = _config_route(llama, target_modules="q_proj|v_proj")
    assert "LORA101" not in _lint(route).codes and "LORA102" in _lint(route).codes
    assert "LORA101" not in _lint(route, select=["LORA101"]).codes


def test_lora102_points_at_the_adapter_it_concerns() -> None:
    adapters = {"default": dict(SEED), "second": {**SEED, "target_modules": "q_proj"}}
    (finding,) = _only(_lint(_config_route(llama, adapters=adapters)), "LORA102")
    assert finding.location.adapter == "second"


QUIET_TARGETS = [
    ("llama-full-path-regex", llama, {"target_modules": r".*\.(q_proj|v_proj)"}),
    ("llama-all-linear", llama, {"target_modules": "all-linear"}),
    ("llama-exact-path-string", llama, {"target_modules": "model.layers.0.self_attn.q_proj"}),
    ("llama-dotted-list-entry", llama, {"target_modules": ["self_attn.q_proj", "v_proj"]}),
    ("gpt2-conv1d", gpt2, {"target_modules": ["c_attn", "attn.c_proj"]}),
    ("bert-classifier", bert_classifier, {"target_modules": ["query", "value"], "task_type": "SEQ_CLS"}),
    ("vit-classifier", vit_classifier, {"target_modules": VIT_QV, "modules_to_save": ["classifier"],
                                        "task_type": None}),
    ("mlp-regex", mlp, {"target_modules": r"lin[01]", "task_type": None}),
]


#: every correct setup on both routes, except a custom module on the config route (it has no config.json)
QUIET_CASES = [
    pytest.param(build, config, route, id=f"{name}-{route}")
    for route in ("live", "config")
    for name, build, config in QUIET_TARGETS
    if not (route == "config" and build is mlp)
]


@pytest.mark.parametrize(("build", "config", "route"), QUIET_CASES)
def test_targeting_rules_stay_quiet_on_correct_setups(build, config, route) -> None:
    model = _route(route, build, **config)
    report = _lint(model)
    assert not report.findings, report.format_findings()


# -- LORA103 pattern-unmatched ------------------------------------------------------------------------------

UNMATCHED = [
    # (id, builder, config, setting reported, a phrase of the message or hint)
    ("modules-to-save-typo", llama, {"modules_to_save": ["lm-head"]}, "modules_to_save: 'lm-head'", "lm_head"),
    ("rank-pattern-typo", llama, {"rank_pattern": {"q_prj": 16}}, "rank_pattern: 'q_prj'", "q_proj"),
    ("alpha-pattern-untargeted", llama, {"alpha_pattern": {"k_proj": 32}}, "alpha_pattern: 'k_proj'", "no targeted"),
    ("exclude-typo", llama, {"exclude_modules": ["model.layers.0.self_attn.q_prj"]},
     "exclude_modules: 'model.layers.0.self_attn.q_prj'", "excludes nothing"),
    ("exclude-regex-in-list", llama, {"exclude_modules": [".*layers\\.0.*q_proj"]},
     "exclude_modules: '.*layers\\\\.0.*q_proj'", "matched literally"),
    ("layers-beyond-depth", llama, {"layers_to_transform": [1, 5], "layers_pattern": "layers"},
     "layers_to_transform: '5'", "beyond the model's 2 layers (0-1)"),
    ("gpt2-layers-beyond-depth", gpt2, {"target_modules": ["c_attn"], "layers_to_transform": [0, 2],
                                        "layers_pattern": "h"}, "layers_to_transform: '2'", "2 layers"),
    ("bert-head-typo", bert_classifier, {"target_modules": ["query", "value"], "task_type": None,
                                         "modules_to_save": ["clasifier"]}, "modules_to_save: 'clasifier'",
     "classifier"),
]


@pytest.mark.parametrize("route", ["live", "config"])
@pytest.mark.parametrize(("build", "config", "setting", "phrase"), [c[1:] for c in UNMATCHED],
                         ids=[c[0] for c in UNMATCHED])
def test_lora103_reports_each_entry_that_matches_nothing(build, config, setting, phrase, route) -> None:
    report = _lint(_route(route, build, **config))
    (finding,) = _only(report, "LORA103")
    assert finding.severity is Severity.WARNING
    assert finding.location.setting == setting
    assert phrase in finding.message + " " + finding.hint


def test_lora103_blames_layers_pattern_when_the_index_exists_but_matches_nothing() -> None:
    (finding,) = _only(_lint(_config_route(llama, layers_to_transform=[1], layers_pattern="h")), "LORA103")
    assert "layers_pattern='h'" in finding.message


@fused_experts_only
def test_lora103_reports_a_target_parameters_entry_that_names_no_parameter() -> None:
    setup = _config_route(moe, lora_dropout=0.0, target_parameters=["experts.gate_up_proj", "experts.down_proj",
                                                                     "experts.w1"])
    (finding,) = _only(_lint(setup), "LORA103")
    assert finding.location.setting == "target_parameters: 'experts.w1'"


PEFT_DEFAULTS = [
    # peft adds classifier/score (SEQ_CLS) or qa_outputs (QUESTION_ANS) itself; a miss is not the user's
    ("llama-seq-cls", "LlamaForSequenceClassification", "SEQ_CLS"),
    ("llama-qa", "LlamaForQuestionAnswering", "QUESTION_ANS"),
]


@pytest.mark.parametrize(("cls_name", "task"), [c[1:] for c in PEFT_DEFAULTS], ids=[c[0] for c in PEFT_DEFAULTS])
def test_lora103_never_reports_heads_peft_adds_itself(cls_name, task) -> None:
    import transformers

    cls = getattr(transformers, cls_name)
    model = lora(cls(llama_config(num_labels=2)), task_type=task)
    assert {e for e in model.peft_config["default"].modules_to_save} & {"classifier", "score", "qa_outputs"}
    assert not _lint(model).findings, _lint(model).format_findings()


@fused_experts_only
def test_lora103_counts_rank_pattern_keys_that_reach_target_parameters() -> None:
    setup = _config_route(moe, lora_dropout=0.0, target_parameters=["experts.down_proj"], rank_pattern={"down_proj": 4})
    assert "LORA103" not in _lint(setup).codes


# -- LORA104 modules-to-save-overmatch -------------------------------------------------------------------------

@pytest.mark.parametrize("route", ["live", "config"])
def test_lora104_reports_a_name_that_only_ends_with_the_entry(route) -> None:
    report = _lint(_route(route, llama, modules_to_save=["head"]))
    (finding,) = _only(report, "LORA104")
    assert finding.severity is Severity.WARNING
    assert "lm_head (whose name only ends with 'head')" in finding.message
    assert "['lm_head']" in finding.hint
    assert finding.evidence["wraps"] == ["lm_head"]


def test_lora104_lists_every_norm_a_short_entry_wraps() -> None:
    (finding,) = _only(_lint(lora(llama(), modules_to_save=["norm"])), "LORA104")
    assert "model.norm" in finding.evidence["wraps"] and len(finding.evidence["wraps"]) == 5
    assert "['model.norm']" in finding.hint


def test_lora104_is_quiet_on_an_entry_that_is_the_whole_name_of_several_modules() -> None:
    setup = _config_route(t5, target_modules=["q", "v"], task_type="SEQ_2_SEQ_LM", modules_to_save=["embed_tokens"])
    assert "LORA104" not in _lint(setup, select=["LORA104"]).codes


def test_lora104_is_info_where_no_spelling_separates_distilbert_classifier_from_pre_classifier() -> None:
    model = lora(distilbert_classifier(), target_modules=["q_lin", "v_lin"], task_type=None,
                 modules_to_save=["classifier"])
    (finding,) = _only(_lint(model), "LORA104")
    assert finding.severity is Severity.INFO
    assert "pre_classifier" in finding.message and "no modules_to_save spelling" in finding.message


def test_lora104_is_info_when_peft_adds_the_overmatching_head_itself() -> None:
    model = lora(distilbert_classifier(), target_modules=["q_lin", "v_lin"], task_type="SEQ_CLS")
    (finding,) = _only(_lint(model), "LORA104")
    assert finding.severity is Severity.INFO and "peft adds this entry itself" in finding.message


def test_lora104_reports_an_entry_that_target_modules_also_names() -> None:
    setup = _config_route(bert_classifier, target_modules=["query", "value", "classifier"], task_type=None,
                          modules_to_save=["classifier"])
    (finding,) = _only(_lint(setup), "LORA104")
    assert "target_modules also matches" in finding.message and finding.evidence["overlap"] == ["classifier"]
    assert finding.severity is Severity.INFO  # this peft trains it in full and drops the LoRA layer itself


@pytest.mark.parametrize("route", ["live", "config"])
def test_lora104_is_quiet_on_all_linear_with_the_head_saved(route) -> None:
    model = _route(route, vit_classifier, target_modules="all-linear", task_type=None,
                   modules_to_save=["classifier"])
    assert not _lint(model).findings, _lint(model).format_findings()


@pytest.mark.parametrize("task", [None, "SEQ_CLS"])
def test_lora104_is_quiet_when_the_entry_wraps_exactly_the_head(task) -> None:
    model = lora(bert_classifier(), target_modules=["query", "value"], task_type=task, modules_to_save=["classifier"])
    assert not _lint(model).findings, _lint(model).format_findings()


# -- LORA105 target-overbroad -----------------------------------------------------------------------------------

@pytest.mark.parametrize("route", ["live", "config"])
def test_lora105_groups_llava_targets_by_tower(route) -> None:
    (finding,) = _only(_lint(_route(route, llava, task_type=None)), "LORA105")
    assert finding.severity is Severity.INFO
    towers = finding.evidence["towers"]
    assert set(towers) == {"model.vision_tower (CLIPVisionModel)", "model.language_model (LlamaModel)"}
    assert all(k.startswith("model.vision_tower.") for k in towers["model.vision_tower (CLIPVisionModel)"])
    assert r"r'model\.language_model\..*\.(q_proj|v_proj)'" in finding.hint


def test_lora105_is_quiet_when_a_regex_keeps_llava_to_its_language_model() -> None:
    model = lora(llava(), target_modules=r"model\.language_model\..*\.(q_proj|v_proj)", task_type=None)
    assert not _lint(model).findings, _lint(model).format_findings()


@pytest.mark.parametrize("route", ["live", "config"])
def test_lora105_reports_t5_encoder_and_decoder_as_info(route) -> None:
    model = _route(route, t5, target_modules=["q", "v"], task_type="SEQ_2_SEQ_LM")
    (finding,) = _only(_lint(model), "LORA105")
    assert finding.severity is Severity.INFO
    assert {len(v) for v in finding.evidence["towers"].values()} == {4, 8}  # decoder has cross-attention too
    assert _lint(model).exit_code() == 0


def test_lora105_finds_the_three_towers_of_blip2() -> None:
    from transformers import Blip2Config, Blip2ForConditionalGeneration, OPTConfig

    config = Blip2Config(
        vision_config={"hidden_size": 32, "intermediate_size": 64, "num_hidden_layers": 2, "num_attention_heads": 4,
                       "image_size": 32, "patch_size": 8},
        qformer_config={"hidden_size": 32, "num_hidden_layers": 2, "num_attention_heads": 4,
                        "intermediate_size": 64, "encoder_hidden_size": 32, "vocab_size": 128},
        text_config=OPTConfig(hidden_size=32, num_hidden_layers=2, num_attention_heads=4, ffn_dim=64,
                              vocab_size=128, max_position_embeddings=64, word_embed_proj_dim=32).to_dict(),
        num_query_tokens=4,
    )
    setup = _config_route(Blip2ForConditionalGeneration, config, target_modules="all-linear", task_type=None)
    (finding,) = _lint(setup, select=["LORA105"]).findings
    assert [t.split(" ")[0] for t in finding.evidence["towers"] if t != "other"] == [
        "vision_model", "qformer", "language_model"]


ROUTERS = [
    # (id, MoE model type, config, router keys reported); transformers 4.x names the MoE block block_sparse_moe
    # and keeps each expert (and Qwen-MoE's router) an nn.Linear that "all-linear" reaches
    ("phimoe-all-linear", "phimoe",
     {"target_modules": "all-linear", "lora_dropout": 0.0, "target_parameters": ["experts.gate_up_proj",
                                                                                "experts.down_proj"]}
     if TRANSFORMERS_5 else {"target_modules": "all-linear", "lora_dropout": 0.0},
     ["model.layers.0.mlp.router", "model.layers.1.mlp.router"] if TRANSFORMERS_5
     else ["model.layers.0.block_sparse_moe.gate", "model.layers.1.block_sparse_moe.gate"]),
    ("qwen2-moe-shared-expert-gate", "qwen2_moe", {"target_modules": "all-linear"},
     ["model.layers.0.mlp.shared_expert_gate", "model.layers.1.mlp.shared_expert_gate"] if TRANSFORMERS_5
     else ["model.layers.0.mlp.gate", "model.layers.0.mlp.shared_expert_gate", "model.layers.1.mlp.gate",
           "model.layers.1.mlp.shared_expert_gate"]),
]


@pytest.mark.parametrize("route", ["live", "config"])
@pytest.mark.parametrize(("kind", "config", "routers"), [c[1:] for c in ROUTERS], ids=[c[0] for c in ROUTERS])
def test_lora105_reports_router_gates_among_the_targets(kind, config, routers, route) -> None:
    report = _lint(_route(route, moe, kind, **config), select=["LORA105"])
    (finding,) = report.findings
    assert finding.evidence["routers"] == routers
    assert "exclude_modules=" in finding.hint


@fused_experts_only
@pytest.mark.parametrize("route", ["live", "config"])
def test_lora105_reports_the_router_peft_adds_when_it_rewrites_all_linear_for_mixtral(route) -> None:
    # peft rewrites "all-linear" on a transformers-5 Mixtral into target_parameters incl. the router's gate.weight
    report = _lint(_route(route, moe, target_modules="all-linear", lora_dropout=0.0))
    (finding,) = _only(report, "LORA105")
    assert finding.evidence["router_parameters"] == ["model.layers.0.mlp.gate.weight", "model.layers.1.mlp.gate.weight"]
    assert "target_parameters=['experts.down_proj', 'experts.gate_up_proj']" in finding.hint


# -- LORA106 moe-experts-untargeted -----------------------------------------------------------------------------

@fused_experts_only
@pytest.mark.parametrize("route", ["live", "config"])
def test_lora106_reports_mixtral_experts_no_adapter_reaches(route) -> None:
    (finding,) = _only(_lint(_route(route, moe)), "LORA106")
    assert finding.severity is Severity.INFO  # q_proj/v_proj: attention only, a deliberate choice
    assert "model.layers.*.mlp.experts.gate_up_proj 4x256x64" in finding.message
    assert finding.evidence["suggested_target_parameters"] == ["experts.down_proj", "experts.gate_up_proj"]
    assert finding.evidence["share"] > 0.5


@pytest.mark.parametrize("route", ["live", "config"])
@pytest.mark.parametrize("kind", ["mixtral", "gpt_oss", "qwen2_moe"])
def test_lora106_is_quiet_when_target_parameters_cover_the_experts(kind, route) -> None:
    config = {"lora_dropout": 0.0, "target_parameters": ["experts.gate_up_proj", "experts.down_proj"]}
    assert "LORA106" not in _lint(_route(route, moe, kind, **config)).codes


@pytest.mark.parametrize("route", ["live", "config"])
def test_lora106_follows_peft_rewriting_mixtral_expert_names(route) -> None:
    report = _lint(_route(route, moe, target_modules=["q_proj", "v_proj", "w1", "w2", "w3"], lora_dropout=0.0))
    assert not report.findings, report.format_findings()


@fused_experts_only
def test_lora106_reports_peft_refusing_half_of_a_fused_pair_instead_of_unmatched_names() -> None:
    report = _lint(_config_route(moe, target_modules=["q_proj", "v_proj", "w1", "w2"], lora_dropout=0.0))
    (finding,) = _only(report, "LORA106")
    assert finding.severity is Severity.ERROR and "w3" in finding.message


@pytest.mark.parametrize("route", ["live", "config"])
@pytest.mark.parametrize("kind", [pytest.param("qwen2_moe", marks=fused_experts_only), "gpt_oss"])  # GPT-OSS: fused in 4.x
def test_lora106_reports_all_linear_that_stops_short_of_the_experts(kind, route) -> None:
    report = _lint(_route(route, moe, kind, target_modules="all-linear"), select=["LORA106"])
    assert report.codes == {"LORA106"}


def test_lora106_is_skipped_for_an_adapter_meant_for_inference() -> None:
    assert "LORA106" not in _lint(lora(moe()), intent="inference").codes


DENSE = [(llama, {"target_modules": "all-linear"}), (gpt2, {"target_modules": ["c_attn"]}),
         (t5, {"target_modules": ["q", "v"], "task_type": "SEQ_2_SEQ_LM"}),
         (bert_classifier, {"target_modules": ["query", "value"], "task_type": "SEQ_CLS"})]


@pytest.mark.parametrize(("build", "config"), DENSE, ids=[b.__name__ for b, _ in DENSE])
def test_lora106_is_quiet_on_dense_models(build, config) -> None:
    assert not _lint(lora(build(), **config), select=["LORA106"]).findings
