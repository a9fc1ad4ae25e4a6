"""``--lora-no-probe`` / ini ``lora_no_probe``: skip the forward/backward probe in the fixture and factories."""

from __future__ import annotations

import pytest

#: An adapter whose layer output is detached: only the probe can see that it never gets gradient.
DEAD_ADAPTER = """
    import lora_models

    def dead_adapter_model():
        model = lora_models.model()
        q_proj = model.base_model.model.model.layers[0].self_attn.q_proj
        q_proj.register_forward_hook(lambda module, args, out: out.detach())
        return model

    def test_setup(lora_lint):
        report = lora_lint(dead_adapter_model(), lora_models.batch())
        print("NOTES", [str(n) for n in report.notes])
        report.assert_clean()
"""


def test_the_option_and_the_ini_key_turn_the_probe_off_in_the_fixture(lora_pytester: pytest.Pytester) -> None:
    lora_pytester.makepyfile(
        """
        def test_probe(lora_lint):
            print("PROBE", lora_lint.settings.probe)
        """
    )
    lora_pytester.runpytest("-s").stdout.fnmatch_lines(["*PROBE True*"])
    result = lora_pytester.runpytest("-s", "--lora-no-probe")
    result.stdout.fnmatch_lines(["*PROBE False*", "lora-lint * probe off (--lora-no-probe)*"])
    lora_pytester.makeini("[pytest]\nlora_no_probe = true\n")
    lora_pytester.runpytest("-s").stdout.fnmatch_lines(["*PROBE False*"])


def test_a_dead_adapter_fails_with_the_probe_and_passes_with_a_note_without_it(lora_pytester: pytest.Pytester) -> None:
    lora_pytester.makepyfile(DEAD_ADAPTER)
    with_probe = lora_pytester.runpytest()
    with_probe.assert_outcomes(failed=1)
    with_probe.stdout.fnmatch_lines(["E * LORA401 *"])
    without = lora_pytester.runpytest("-s", "--lora-no-probe")
    without.assert_outcomes(passed=1)
    without.stdout.fnmatch_lines(["*NOTES*skipped*LORA401*needs the probe*"])


def test_probe_true_in_the_fixture_call_wins_over_the_option(lora_pytester: pytest.Pytester) -> None:
    lora_pytester.makepyfile(DEAD_ADAPTER.replace("lora_models.batch())", "lora_models.batch(), probe=True)"))
    lora_pytester.runpytest("--lora-no-probe").assert_outcomes(failed=1)
