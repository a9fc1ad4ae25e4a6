"""Scaling rules (LORA301-303, 305-307) over tiny real models, config files and loaded adapters."""

from __future__ import annotations

import warnings
from pathlib import Path
from typing import Any

import pytest
import torch

from lora_lint import Severity
from lora_lint.context import Setup
from lora_lint.findings import Location
from lora_lint.settings import Settings
from tests.rules.runner import lint_target, run
from tests.versions import VIT_QV, fused_experts_only
from tests.tiny_models import bert_classifier, gpt2, llama, lora, moe, t5, vit_classifier

warnings.filterwarnings("ignore", category=FutureWarning)


def meta_llama() -> Any:
    from transformers import LlamaForCausalLM

    from tests.tiny_models import llama_config

    with torch.device("meta"):
        return LlamaForCausalLM(llama_config())


def config_setup(base: Any = None, file: str = "lora.yaml", **config: Any) -> Setup:
    """The config route: LoraConfig keyword arguments as written, with or without a base structure."""
    return Setup(
        target=file, base_model=base, lora_configs={"default": config}, weights=False, origin=Location(file=file)
    )


# -- LORA301 alpha-rank-ratio ---------------------------------------------------------------------

BAND_CASES = [
    # (id, model builder, LoraConfig overrides, expected scale of a finding or None for quiet)
    ("seed-r8-alpha16", llama, {}, None),
    ("qlora-r64-alpha16-lower-edge", llama, dict(r=64, lora_alpha=16, target_modules=["q_proj"]), None),
    (
        "gpt2-r4-alpha32-upper-edge",
        gpt2,
        dict(r=4, lora_alpha=32, target_modules=["c_attn"], fan_in_fan_out=True, task_type=None),
        None,
    ),
    ("llama-r2-alpha64", llama, dict(r=2, lora_alpha=64), 32.0),
    ("bert-r8-alpha1", bert_classifier, dict(lora_alpha=1, target_modules=["query", "value"], task_type="SEQ_CLS"), 0.125),
    ("t5-r4-alpha64", t5, dict(r=4, lora_alpha=64, target_modules=["q", "v"], task_type="SEQ_2_SEQ_LM"), 16.0),
    ("vit-r8-alpha128", vit_classifier, dict(lora_alpha=128, modules_to_save=["classifier"], task_type=None), 16.0),
    (
        "rslora-r256-alpha256",
        llama,
        dict(r=256, lora_alpha=256, use_rslora=True, target_modules=["embed_tokens"]),
        16.0,
    ),
    ("rslora-r64-alpha16-is-2", llama, dict(r=64, lora_alpha=16, use_rslora=True, target_modules=["q_proj"]), None),
]


@pytest.mark.parametrize("build, overrides, scale", [c[1:] for c in BAND_CASES], ids=[c[0] for c in BAND_CASES])
def test_it_judges_the_effective_scale_against_the_inclusive_band(build, overrides, scale) -> None:
    report = run(lora(build(), **overrides), "LORA301")
    if scale is None:
        assert not report.findings, report.format_findings()
        return
    (finding,) = report.findings
    assert finding.evidence["scale"] == pytest.approx(scale)
    assert f"effective scale {scale}" in finding.message


def test_it_says_the_scale_with_its_numbers_and_names_the_layers() -> None:
    (finding,) = run(lora(llama(), r=2, lora_alpha=64), "LORA301").findings
    assert finding.message.startswith("effective scale 32.0 = alpha 64 / r 2 on 4 layers")
    assert "base_model.model.model.layers.0.self_attn.q_proj" in finding.message
    assert finding.severity is Severity.WARNING
    assert "between 0.5 and 16" in finding.hint


def test_at_high_rank_the_hint_suggests_rslora() -> None:
    (finding,) = run(lora(llama(), r=128, lora_alpha=16, target_modules=["embed_tokens"]), "LORA301").findings
    assert "use_rslora=True" in finding.hint and "alpha 16 / sqrt(128) = 1.4142" in finding.hint
    (finding,) = run(lora(llama(), r=2, lora_alpha=64), "LORA301").findings
    assert "rsLoRA" not in finding.hint


def test_patterns_give_per_layer_scales_and_layers_sharing_a_scale_are_one_finding() -> None:
    model = lora(
        llama(), rank_pattern={"q_proj": 1}, alpha_pattern={"model.layers.0.self_attn.v_proj": 200}
    )
    findings = {f.evidence["scale"]: f for f in run(model, "LORA301").findings}
    assert sorted(findings) == [16.0, 25.0]
    assert findings[16.0].evidence["modules"] == [
        "base_model.model.model.layers.0.self_attn.q_proj",
        "base_model.model.model.layers.1.self_attn.q_proj",
    ]
    assert findings[16.0].location.setting == "rank_pattern['q_proj']"
    assert findings[25.0].evidence["modules"] == ["base_model.model.model.layers.0.self_attn.v_proj"]


def test_the_band_is_configurable() -> None:
    model = lora(llama())
    assert not run(model, "LORA301").findings
    tight = Settings(alpha_ratio_min=0.5, alpha_ratio_max=1.0)
    (finding,) = run(model, "LORA301", settings=tight).findings
    assert "above 1" in finding.message


def test_it_works_from_a_config_file_without_a_base_model_per_entry() -> None:
    report = run(config_setup(r=2, lora_alpha=64, rank_pattern={"v_proj": 16}), "LORA301")
    (finding,) = report.findings
    assert finding.location.setting == "r, lora_alpha" and finding.location.file == "lora.yaml"
    assert "(r, lora_alpha)" in finding.message
    report = run(config_setup(r=8, lora_alpha=16, rank_pattern={"v_proj": 1}), "LORA301")
    (finding,) = report.findings
    assert finding.location.setting == "rank_pattern['v_proj']" and finding.evidence["scale"] == 16.0


def test_it_works_from_a_config_file_against_a_meta_device_base_per_targeted_module() -> None:
    setup = config_setup(meta_llama(), r=8, lora_alpha=16, target_modules=["q_proj", "k_proj"], rank_pattern={"k_proj": 1})
    (finding,) = run(setup, "LORA301").findings
    assert finding.evidence["modules"] == ["model.layers.0.self_attn.k_proj", "model.layers.1.self_attn.k_proj"]


def test_nonpositive_alpha_is_left_to_lora306() -> None:
    assert not run(lora(llama(), lora_alpha=0), "LORA301").findings


# -- LORA302 rank-exceeds-layer -------------------------------------------------------------------

RANK_CASES = [
    # (id, builder, overrides, modules reported (leaf names))
    ("llama-r32-hits-gqa-k-v", llama, dict(r=32, target_modules=["q_proj", "k_proj", "v_proj"]), {"k_proj", "v_proj"}),
    ("llama-r16-fits", llama, dict(r=16, target_modules=["q_proj", "k_proj", "v_proj"]), set()),
    ("bert-classifier-head", bert_classifier, dict(target_modules=["query", "classifier"], task_type=None), {"classifier"}),
    ("vit-classifier-head", vit_classifier, dict(target_modules=[VIT_QV[0], "classifier"], task_type=None), {"classifier"}),
    (
        "gpt2-conv1d-r64",
        gpt2,
        dict(r=64, lora_alpha=128, target_modules=["c_attn", "c_proj"], fan_in_fan_out=True, task_type=None),
        {"c_attn", "c_proj"},
    ),
    ("t5-rank-pattern", t5, dict(target_modules=["q", "v"], rank_pattern={"v": 64}, task_type=None), {"v"}),
]


@pytest.mark.parametrize("build, overrides, leaves", [c[1:] for c in RANK_CASES], ids=[c[0] for c in RANK_CASES])
def test_it_reports_layers_smaller_than_the_rank(build, overrides, leaves) -> None:
    report = run(lora(build(), **overrides), "LORA302")
    reported = {m.rsplit(".", 1)[-1] for f in report.findings for m in f.evidence["modules"]}
    assert reported == leaves, report.format_findings()


def test_it_says_the_rank_and_the_layer_size() -> None:
    (finding,) = run(lora(llama(), r=32, lora_alpha=64), "LORA302").findings
    assert finding.message.startswith("r 32 >= min(in 64, out 32) = 32 on base_model.model.model.layers.0.self_attn.v_proj")
    assert "rank_pattern={'v_proj': 8}" in finding.hint


def test_rank_check_works_on_the_config_route_when_the_base_structure_is_known() -> None:
    (finding,) = run(config_setup(meta_llama(), r=32, lora_alpha=64, target_modules=["q_proj", "v_proj"]), "LORA302").findings
    assert finding.evidence["modules"] == ["model.layers.0.self_attn.v_proj", "model.layers.1.self_attn.v_proj"]


def test_rank_check_is_skipped_with_a_note_without_a_base() -> None:
    report = run(config_setup(r=512, lora_alpha=1024), "LORA302")
    assert not report.findings
    assert any("LORA302" in n.message for n in report.notes)


# -- LORA303 scaling-drift ------------------------------------------------------------------------


def test_alpha_edited_on_peft_config_after_get_peft_model_is_caught_with_both_scales() -> None:
    model = lora(llama())
    model.peft_config["default"].lora_alpha = 32
    (finding,) = run(model, "LORA303").findings
    assert finding.severity is Severity.ERROR
    assert "scaling 2.0 (alpha 16 / r 8)" in finding.message and "gives 4.0 (alpha 32 / r 8)" in finding.message
    assert len(finding.evidence["modules"]) == 4


@pytest.mark.parametrize(
    "edit",
    [
        pytest.param(lambda c: setattr(c, "r", 16), id="r"),
        pytest.param(lambda c: setattr(c, "use_rslora", True), id="use_rslora"),
        pytest.param(lambda c: setattr(c, "alpha_pattern", {"q_proj": 64}), id="alpha_pattern"),
    ],
)
def test_other_scale_fields_edited_after_building_are_caught(edit) -> None:
    model = lora(llama())
    edit(model.peft_config["default"])
    assert run(model, "LORA303").codes == {"LORA303"}


@pytest.mark.parametrize(
    "build, overrides",
    [
        pytest.param(llama, dict(rank_pattern={"q_proj": 4}, alpha_pattern={"v_proj": 64}), id="llama-patterns"),
        pytest.param(llama, dict(r=64, lora_alpha=16, use_rslora=True), id="llama-rslora"),
        pytest.param(gpt2, dict(target_modules=["c_attn"], fan_in_fan_out=True, task_type=None), id="gpt2"),
        pytest.param(bert_classifier, dict(target_modules=["query", "value"], task_type="SEQ_CLS"), id="bert"),
        pytest.param(t5, dict(target_modules=["q", "v"], task_type="SEQ_2_SEQ_LM"), id="t5"),
    ],
)
def test_fresh_adapters_agree_with_their_config(build, overrides) -> None:
    assert not run(lora(build(), **overrides), "LORA303").findings


def test_a_layer_scaling_changed_by_hand_is_caught_per_layer() -> None:
    model = lora(llama())
    model.base_model.model.model.layers[1].self_attn.v_proj.scaling["default"] = 5.0
    (finding,) = run(model, "LORA303").findings
    assert finding.location.module == "base_model.model.model.layers.1.self_attn.v_proj"
    assert "scaling 5.0 but peft_config['default'] gives 2.0" in finding.message


def test_drift_is_reported_per_adapter() -> None:
    from peft import LoraConfig

    model = lora(llama())
    model.add_adapter("other", LoraConfig(r=4, lora_alpha=8, target_modules=["q_proj"]))
    model.peft_config["other"].lora_alpha = 4
    (finding,) = run(model, "LORA303").findings
    assert finding.location.adapter == "other"


#: fused experts adapted through target_parameters, with patterns keyed by parameter name as peft matches them
EXPERT_PATTERNS = dict(
    lora_dropout=0.0,
    target_modules=["q_proj"],
    target_parameters=["experts.gate_up_proj", "experts.down_proj"],
    rank_pattern={"down_proj": 4},
    alpha_pattern={"gate_up_proj": 32},
)


def _scalings(model) -> dict[str, float]:
    """Live scaling of every LoRA layer, keyed by module path and the parameter a ParamWrapper adapts."""
    from peft.tuners.lora import LoraLayer

    return {
        f"{path}:{getattr(m, 'parameter_name', '')}": float(m.scaling["default"])
        for path, m in model.named_modules()
        if isinstance(m, LoraLayer)
    }


def _saved_and_reloaded(model, tmp_path: Path, model_type: str):
    from peft import PeftModel

    model.save_pretrained(tmp_path / "adapter")
    return PeftModel.from_pretrained(moe(model_type), tmp_path / "adapter")


@fused_experts_only
@pytest.mark.parametrize("model_type", ["mixtral", "qwen2_moe"])
def test_patterns_keyed_by_a_fused_expert_parameter_agree_with_the_layers_peft_built(model_type, tmp_path) -> None:
    model = lora(moe(model_type), **EXPERT_PATTERNS)
    live = _scalings(model)
    # peft 0.21.2 warns that these keys "did not match any targeted module and were ignored" (it looks at
    # target_modules matches only), yet it applied them to the experts:
    # the pattern reached the experts: down_proj at 16 / 4, gate_up_proj at 32 / 8, attention at 16 / 8
    assert {v for k, v in live.items() if k.endswith(":down_proj")} == {4.0}
    assert {v for k, v in live.items() if k.endswith(":gate_up_proj")} == {4.0}
    assert {v for k, v in live.items() if k.endswith("q_proj:")} == {2.0}
    report = run(model, "LORA303")
    assert not report.findings, report.format_findings()
    assert _scalings(_saved_and_reloaded(model, tmp_path, model_type)) == live


@fused_experts_only
def test_a_pattern_on_a_fused_expert_edited_after_building_predicts_the_scale_a_reload_gets(tmp_path) -> None:
    model = lora(moe(), **EXPERT_PATTERNS)
    model.peft_config["default"].alpha_pattern = {"gate_up_proj": 32, "down_proj": 64}
    (finding,) = run(model, "LORA303").findings
    assert "scaling 4.0 (alpha 16 / r 4) but peft_config['default'] gives 16.0 (alpha 64 / r 4)" in finding.message
    assert finding.evidence["modules"] == [
        f"base_model.model.model.layers.{i}.mlp.experts" for i in (0, 1)
    ]
    reloaded = _scalings(_saved_and_reloaded(model, tmp_path, "mixtral"))
    assert {v for k, v in reloaded.items() if k.endswith(":down_proj")} == {finding.evidence["config_scaling"]}
    assert {v for k, v in reloaded.items() if k.endswith(":gate_up_proj")} == {4.0}


# -- LORA305 nonidentity-init ---------------------------------------------------------------------


@pytest.mark.parametrize(
    "build, overrides",
    [
        pytest.param(llama, {}, id="llama"),
        pytest.param(gpt2, dict(target_modules=["c_attn"], fan_in_fan_out=True, task_type=None), id="gpt2"),
        pytest.param(t5, dict(target_modules=["q", "v"], task_type=None), id="t5"),
    ],
)
def test_a_fresh_random_init_is_reported_and_the_default_is_not(build, overrides) -> None:
    (finding,) = run(lora(build(), init_lora_weights=False, **overrides), "LORA305").findings
    assert "init_lora_weights=False" in finding.message and "lora_B" in finding.message
    assert not run(lora(build(), **overrides), "LORA305").findings


@pytest.mark.parametrize("init", ["gaussian", "pissa", "olora"])
def test_identity_preserving_inits_are_quiet_even_with_nonzero_lora_b(init) -> None:
    model = lora(llama(), init_lora_weights=init)
    assert not run(model, "LORA305").findings


def _trained_adapter_dir(tmp_path) -> Any:
    """An adapter built with init_lora_weights=False, trained one real step, and saved."""
    model = lora(llama(), init_lora_weights=False)
    model.train()
    opt = torch.optim.SGD([p for p in model.parameters() if p.requires_grad], lr=0.1)
    ids = torch.randint(0, 128, (2, 8), generator=torch.Generator().manual_seed(0))
    model(input_ids=ids, labels=ids).loss.backward()
    opt.step()
    model.save_pretrained(tmp_path / "adapter")
    return tmp_path / "adapter"


def test_an_adapter_loaded_from_a_checkpoint_is_not_reported(tmp_path) -> None:
    from peft import PeftModel

    folder = _trained_adapter_dir(tmp_path)
    loaded = PeftModel.from_pretrained(llama(), folder)  # inference_mode=True
    assert not run(loaded, "LORA305").findings
    # the saved-adapter route: the folder is known
    resumed = PeftModel.from_pretrained(llama(), folder, is_trainable=True)
    setup = Setup(target=str(folder), model=resumed, adapter_dirs={"default": folder})
    assert not run(setup, "LORA305").findings


def test_a_checkpoint_resumed_through_a_factory_is_judged_as_freshly_built(tmp_path) -> None:
    # Documented limit: peft leaves no trace of loading, so this live model looks freshly built.
    from peft import PeftModel

    resumed = PeftModel.from_pretrained(llama(), _trained_adapter_dir(tmp_path), is_trainable=True)
    assert run(resumed, "LORA305").codes == {"LORA305"}


def test_a_config_file_with_random_init_is_reported_from_the_setting_but_a_saved_one_is_not() -> None:
    (finding,) = run(config_setup(init_lora_weights=False), "LORA305").findings
    assert finding.location.setting == "init_lora_weights: False" and finding.basis.value == "config"
    saved = config_setup(file="run/adapter_config.json", init_lora_weights=False)
    assert not run(saved, "LORA305").findings


# -- LORA306 alpha-nonpositive --------------------------------------------------------------------


@pytest.mark.parametrize(
    "overrides, setting, scale",
    [
        (dict(lora_alpha=0), "lora_alpha: 0", 0.0),
        (dict(lora_alpha=-16), "lora_alpha: -16", -2.0),
        (dict(alpha_pattern={"v_proj": -8}), "alpha_pattern['v_proj']: -8", -1.0),
    ],
)
def test_zero_or_negative_alpha_is_an_error(overrides, setting, scale) -> None:
    (finding,) = run(lora(llama(), **overrides), "LORA306").findings
    assert finding.severity is Severity.ERROR
    assert finding.location.setting == setting and finding.evidence["scale"] == scale


def test_zero_alpha_really_gives_the_adapter_zero_gradient() -> None:
    model = lora(llama(), lora_alpha=0).train()
    ids = torch.randint(0, 128, (2, 8), generator=torch.Generator().manual_seed(0))
    model(input_ids=ids, labels=ids).loss.backward()
    grads = [p.grad for n, p in model.named_parameters() if "lora_" in n]
    assert all(g is not None and not g.any() for g in grads)
    (finding,) = run(config_setup(r=8, lora_alpha=0), "LORA306").findings
    assert "zero gradient" in finding.message


def test_positive_alpha_is_quiet() -> None:
    assert not run(lora(llama(), alpha_pattern={"v_proj": 1}), "LORA306").findings


# -- LORA307 dropout-kills-adapter ----------------------------------------------------------------


@pytest.mark.parametrize(
    "dropout, severity",
    [(1.0, Severity.ERROR), (0.7, Severity.WARNING), (0.5, None), (0.05, None), (0.0, None)],
)
def test_dropout_is_an_error_at_one_and_a_warning_above_the_threshold(dropout, severity) -> None:
    report = run(lora(llama(), lora_dropout=dropout), "LORA307")
    assert [f.severity for f in report.findings] == ([severity] if severity else [])


def test_the_dropout_threshold_is_configurable_and_reads_config_files() -> None:
    (finding,) = run(config_setup(lora_dropout=0.3), "LORA307", settings=Settings(dropout_warn=0.2)).findings
    assert "drops 30%" in finding.message
    assert not run(config_setup(lora_dropout=0.3), "LORA307").findings


def test_dropout_is_not_judged_for_inference() -> None:
    report = run(lora(llama(), lora_dropout=1.0), "LORA307", intent="inference")
    assert not report.findings


# -- through the real loaders: a saved adapter folder, and --model with --lora-config --------------


def test_a_saved_adapter_folder_is_judged_from_its_config(tmp_path) -> None:
    lora(llama(), r=2, lora_alpha=64, init_lora_weights=False).save_pretrained(tmp_path / "adapter")
    (finding,) = lint_target(tmp_path / "adapter", "LORA301").findings
    assert finding.message.startswith("effective scale 32.0 = alpha 64 / r 2")
    assert finding.location.file is not None and finding.location.file.endswith("adapter_config.json")
    lines = Path(finding.location.file).read_text().splitlines()
    assert finding.location.line is not None and lines[finding.location.line - 1].strip().startswith('"r":')
    assert not lint_target(tmp_path / "adapter", "LORA305").findings  # trained weights, not a fresh build


def test_a_config_file_on_a_model_folder_is_judged_per_targeted_module(tmp_path) -> None:
    from tests.tiny_models import saved_llama_dir

    config = tmp_path / "lora.json"
    config.write_text('{"r": 8, "lora_alpha": 16, "target_modules": ["q_proj", "v_proj"], "rank_pattern": {"v_proj": 1}}')
    report = lint_target(None, "LORA301", model=str(saved_llama_dir()), lora_config=str(config))
    (finding,) = report.findings
    assert finding.evidence["modules"] == [
        "base_model.model.model.layers.0.self_attn.v_proj",
        "base_model.model.model.layers.1.self_attn.v_proj",
    ]
    assert finding.location.file is not None and finding.location.file.endswith("lora.json")
