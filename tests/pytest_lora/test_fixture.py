"""The ``lora_lint`` fixture in real pytest sessions: a clean setup passes, a broken one fails readably."""

from __future__ import annotations

import pytest


def test_a_correct_setup_passes_and_the_fixture_returns_a_lora_lint_report(lora_pytester: pytest.Pytester) -> None:
    lora_pytester.makepyfile(
        """
        import lora_models
        from lora_lint import Report

        def test_setup(lora_lint):
            report = lora_lint(lora_models.model(), lora_models.batch())
            assert isinstance(report, Report)
            report.assert_clean()
        """
    )
    result = lora_pytester.runpytest("--strict-markers")
    result.assert_outcomes(passed=1)


def test_a_wrong_target_fails_naming_the_entry_and_the_closest_real_names(lora_pytester: pytest.Pytester) -> None:
    lora_pytester.makepyfile(
        """
        import lora_models

        def test_setup(lora_lint):
            model = lora_models.model(target_modules=["q_proj", "v_prj"])
            lora_lint(model, lora_models.batch()).assert_clean()
        """
    )
    result = lora_pytester.runpytest()
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(
        [
            "E * lora-lint found 1 problem(s) at or above error:",
            "E * LORA101 [[]error[]] target-unmatched at target_modules: 'v_prj'",
            "E * target_modules entry 'v_prj' matches no module of LlamaForCausalLM",
            "E * fix: Closest real names: v_proj*",
        ]
    )


def test_the_failure_shows_the_users_line_and_no_lora_lint_internals(lora_pytester: pytest.Pytester) -> None:
    lora_pytester.makepyfile(
        """
        import lora_models

        def test_setup(lora_lint):
            model = lora_models.model(target_modules=["q_proj", "v_prj"])
            lora_lint(model).assert_clean()
        """
    )
    result = lora_pytester.runpytest()
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines([">*lora_lint(model).assert_clean()"])
    result.stdout.no_fnmatch_line("*lora_lint/report.py*")
    result.stdout.no_fnmatch_line("*def assert_clean*")


def test_select_and_ignore_given_to_the_fixture_choose_the_rules(lora_pytester: pytest.Pytester) -> None:
    lora_pytester.makepyfile(
        """
        import lora_models

        def test_ignored(lora_lint):
            model = lora_models.model(target_modules=["q_proj", "v_prj"])
            report = lora_lint(model, ignore=["LORA1"], probe=False)
            assert "LORA101" not in report.codes
            report.assert_clean()

        def test_selected(lora_lint):
            model = lora_models.model(target_modules=["q_proj", "v_prj"])
            report = lora_lint(model, select="LORA101", probe=False)
            assert report.codes == {"LORA101"}
        """
    )
    lora_pytester.runpytest().assert_outcomes(passed=2)


def test_linting_through_the_fixture_leaves_the_model_as_it_was(lora_pytester: pytest.Pytester) -> None:
    lora_pytester.makepyfile(
        """
        import torch
        import lora_models

        def test_unchanged(lora_lint):
            model = lora_models.model()
            model.train()
            before = {n: (p.detach().clone(), p.requires_grad, p.grad) for n, p in model.named_parameters()}
            lora_lint(model, lora_models.batch())
            assert model.training
            for n, p in model.named_parameters():
                value, requires_grad, grad = before[n]
                assert torch.equal(p, value) and p.requires_grad == requires_grad and p.grad is grad, n
        """
    )
    lora_pytester.runpytest().assert_outcomes(passed=1)


def test_a_dead_adapter_fails_with_the_per_layer_gradient_table(lora_pytester: pytest.Pytester) -> None:
    lora_pytester.makepyfile(
        """
        import lora_models

        def test_setup(lora_lint):
            model = lora_models.model()
            q_proj = model.base_model.model.model.layers[0].self_attn.q_proj
            q_proj.register_forward_hook(lambda module, args, out: out.detach())
            lora_lint(model, lora_models.batch()).assert_clean()
        """
    )
    result = lora_pytester.runpytest()
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(["E * LORA401 *layers.0.self_attn.q_proj*"])
    result.stdout.fnmatch_lines(["E *gradient*"])
