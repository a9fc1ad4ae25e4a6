"""The ``assert_*`` helpers in real pytest sessions: each passes on a correct setup and fails naming the layers."""

from __future__ import annotations

import pytest

import pytest_lora
from pytest_lora.assertions import lint_codes

HELPERS = (
    "assert_adapters_receive_grad",
    "assert_adapters_trainable",
    "assert_alpha_ratio",
    "assert_base_frozen",
    "assert_scaling_consistent",
    "assert_targets_matched",
)


def _run(pytester: pytest.Pytester, body: str) -> pytest.RunResult:
    pytester.makepyfile("import lora_models\nfrom pytest_lora import *\n\n" + body)
    result = pytester.runpytest()
    # helper frames are hidden: the user sees their own line and the message, not lora-lint's code
    result.stdout.no_fnmatch_line("*pytest_lora/assertions.py*")
    result.stdout.no_fnmatch_line("*lora_lint/*.py:*")
    return result


def test_every_helper_is_exported_from_the_package() -> None:
    for name in HELPERS:
        assert callable(getattr(pytest_lora, name)), name
    assert set(HELPERS) <= set(pytest_lora.__all__)


def test_a_helper_whose_rule_is_not_installed_says_so_instead_of_passing() -> None:
    with pytest.raises(RuntimeError, match="assert_x needs rule.s. LORA699, which no installed lora-lint plugin"):
        lint_codes("assert_x", object(), ["LORA699"])


def test_assert_targets_matched_names_the_entry_and_the_closest_real_names(lora_pytester: pytest.Pytester) -> None:
    result = _run(
        lora_pytester,
        """
def test_good():
    assert_targets_matched(lora_models.model())

def test_bad():
    assert_targets_matched(lora_models.model(target_modules=["q_proj", "v_prj"]))
""",
    )
    result.assert_outcomes(passed=1, failed=1)
    result.stdout.fnmatch_lines(
        [
            ">*assert_targets_matched(lora_models.model(target_modules=*",
            "E * assert_targets_matched: 1 problem(s) in <PeftModelForCausalLM>",
            "E * LORA101 [[]error[]] target-unmatched at target_modules: 'v_prj'",
            "E * fix: Closest real names: v_proj*",
        ]
    )


def test_assert_base_frozen_names_the_leaking_parameter(lora_pytester: pytest.Pytester) -> None:
    result = _run(
        lora_pytester,
        """
def test_good():
    assert_base_frozen(lora_models.model())

def test_bad():
    model = lora_models.model()
    model.base_model.model.model.layers[1].mlp.up_proj.weight.requires_grad_(True)
    assert_base_frozen(model)
""",
    )
    result.assert_outcomes(passed=1, failed=1)
    result.stdout.fnmatch_lines(["E * assert_base_frozen: 1 problem(s)*", "E * LORA201 *layers.1.mlp.up_proj.weight*"])


def test_assert_adapters_trainable_names_frozen_inactive_or_missing_adapters(lora_pytester: pytest.Pytester) -> None:
    result = _run(
        lora_pytester,
        """
def test_good():
    assert_adapters_trainable(lora_models.model())

def test_frozen():
    model = lora_models.model()
    for name, param in model.named_parameters():
        if "lora_" in name:
            param.requires_grad_(False)
    assert_adapters_trainable(model)

def test_merged_away():
    assert_adapters_trainable(lora_models.model().merge_and_unload())
""",
    )
    result.assert_outcomes(passed=1, failed=2)
    result.stdout.fnmatch_lines(["E * assert_adapters_trainable: * problem(s)*", "E * LORA202 *"])
    result.stdout.fnmatch_lines(["E * LORA205 *"])


def test_assert_alpha_ratio_uses_the_default_band_or_the_one_given(lora_pytester: pytest.Pytester) -> None:
    result = _run(
        lora_pytester,
        """
def test_default_band_ok():
    assert_alpha_ratio(lora_models.model(r=8, lora_alpha=16))

def test_edges_are_inside():
    assert_alpha_ratio(lora_models.model(r=2, lora_alpha=4), low=2, high=2)

def test_default_band_too_high():
    assert_alpha_ratio(lora_models.model(r=2, lora_alpha=64))

def test_own_band():
    assert_alpha_ratio(lora_models.model(r=8, lora_alpha=16), low=0.5, high=1.5)
""",
    )
    result.assert_outcomes(passed=2, failed=2)
    result.stdout.fnmatch_lines(["E * assert_alpha_ratio: * problem(s)*", "E * LORA301 *", "E *32*"])
    result.stdout.fnmatch_lines(["E * LORA301 *", "E *2*1.5*"])


def test_assert_scaling_consistent_names_the_drifted_layers(lora_pytester: pytest.Pytester) -> None:
    result = _run(
        lora_pytester,
        """
def test_good():
    assert_scaling_consistent(lora_models.model())

def test_alpha_edited_after_build():
    model = lora_models.model()
    model.peft_config["default"].lora_alpha = 64
    assert_scaling_consistent(model)
""",
    )
    result.assert_outcomes(passed=1, failed=1)
    result.stdout.fnmatch_lines(["E * assert_scaling_consistent: * problem(s)*", "E * LORA303 *"])


def test_assert_adapters_receive_grad_names_the_dead_layer_with_the_gradient_table(
    lora_pytester: pytest.Pytester,
) -> None:
    result = _run(
        lora_pytester,
        """
def test_good_with_a_batch():
    assert_adapters_receive_grad(lora_models.model(), lora_models.batch())

def test_good_without_a_batch():
    assert_adapters_receive_grad(lora_models.model())

def test_detached_layer():
    model = lora_models.model()
    q_proj = model.base_model.model.model.layers[0].self_attn.q_proj
    q_proj.register_forward_hook(lambda module, args, out: out.detach())
    assert_adapters_receive_grad(model, lora_models.batch())
""",
    )
    result.assert_outcomes(passed=2, failed=1)
    result.stdout.fnmatch_lines(
        ["E * assert_adapters_receive_grad: * problem(s)*", "E * LORA401 *layers.0.self_attn.q_proj*", "E *gradient*"]
    )


def test_a_helper_that_cannot_run_on_a_meta_model_fails_saying_why(lora_pytester: pytest.Pytester) -> None:
    result = _run(
        lora_pytester,
        """
import torch

def test_meta():
    with torch.device("meta"):
        model = lora_models.model()
    assert_adapters_receive_grad(model)
""",
    )
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(["E * assert_adapters_receive_grad: cannot check LORA401, LORA402, LORA403 on this model*"])
