"""``--lora-device`` / ini ``lora_device``: where the probe runs, validated up front, shown in the header."""

from __future__ import annotations

import pytest
import torch

SHOW_DEVICE = """
    def test_device(lora_lint):
        print("DEVICE", lora_lint.settings.device)
"""


def test_the_option_reaches_the_fixture_and_the_header(lora_pytester: pytest.Pytester) -> None:
    lora_pytester.makepyfile(SHOW_DEVICE)
    result = lora_pytester.runpytest("-s", "--lora-device=cpu")
    result.assert_outcomes(passed=1)
    # the settings line follows the tests that used lora-lint
    result.stdout.fnmatch_lines(["*DEVICE cpu*", "lora-lint * -- device cpu, probe on, fail-on error"])


def test_the_ini_key_is_the_default_and_the_option_wins_over_it(lora_pytester: pytest.Pytester) -> None:
    lora_pytester.makeini("[pytest]\nlora_device = cuda:1\n")
    lora_pytester.makepyfile(SHOW_DEVICE)
    lora_pytester.runpytest("-s").stdout.fnmatch_lines(["*DEVICE cuda:1*"])
    lora_pytester.runpytest("-s", "--lora-device=cpu").stdout.fnmatch_lines(["*DEVICE cpu*"])


def test_without_option_the_device_is_auto(lora_pytester: pytest.Pytester) -> None:
    lora_pytester.makepyfile(SHOW_DEVICE)
    lora_pytester.runpytest("-s").stdout.fnmatch_lines(["*DEVICE auto*"])


@pytest.mark.parametrize("where", ["option", "ini"])
def test_an_unknown_device_is_a_usage_error_naming_the_accepted_forms(lora_pytester: pytest.Pytester, where: str) -> None:
    lora_pytester.makepyfile(SHOW_DEVICE)
    if where == "ini":
        lora_pytester.makeini("[pytest]\nlora_device = gpu\n")
        result = lora_pytester.runpytest()
    else:
        result = lora_pytester.runpytest("--lora-device=gpu")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["*lora-lint: --lora-device / lora_device: device must be auto, cpu, cuda or cuda:N, not 'gpu'*"])


def test_a_live_model_is_probed_where_it_sits_and_a_note_says_so(lora_pytester: pytest.Pytester) -> None:
    lora_pytester.makepyfile(
        """
        import lora_models

        def test_device(lora_lint):
            report = lora_lint(lora_models.model(), lora_models.batch())
            report.assert_clean()
            assert any("the probe ran there" in str(note) for note in report.notes), report.notes
        """
    )
    # cuda:7 exists on no test machine; the model on the CPU is never moved, the note says where it ran
    lora_pytester.runpytest("--lora-device=cuda:7").assert_outcomes(passed=1)


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device")
def test_on_a_gpu_the_probe_runs_on_cuda_and_the_header_names_the_device(lora_pytester: pytest.Pytester) -> None:
    lora_pytester.makepyfile(
        """
        import torch
        import lora_models

        def test_device(lora_lint):
            model = lora_models.model().to("cuda")
            batch = {k: v.to("cuda") for k, v in lora_models.batch().items()}
            report = lora_lint(model, batch)
            report.assert_clean()
            assert not any("the probe ran there" in str(note) for note in report.notes), report.notes
            assert all(p.device.type == "cuda" for p in model.parameters())
        """
    )
    result = lora_pytester.runpytest("--lora-device=cuda")
    result.assert_outcomes(passed=1)
    result.stdout.fnmatch_lines(["lora-lint * -- device cuda:0 (*) (--lora-device cuda), probe on*"])
