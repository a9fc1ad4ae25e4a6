"""The text reporter: per target, grouped by severity, notes and attachments, and a summary."""

from __future__ import annotations

import io

import pytest

from lora_lint.report import Report
from lora_lint.reporters._base import use_color
from lora_lint.reporters.text import TextReporter
from tests.reporters.helpers import render_text, sample_report

EXPECTED = """\
train.py:build

  errors (1)
    LORA101 target-unmatched  train.py:12 target_modules: 'value'
      message of LORA101
      fix: hint of LORA101

  warnings (1)
    LORA301 alpha-rank-ratio  train.py:12 model.layers.0.self_attn.q_proj
      message of LORA301
      fix: hint of LORA301

  notes
    - skipped LORA401: needs the probe

  gradient probe
    layer  grad
    q_proj 1e-3

other.py:build

  info (1)
    LORA105 target-overbroad  model.embed_tokens.weight
      message of LORA105
      fix: hint of LORA105

  notes
    - built on meta

runs/a

  errors (1)
    LORA101 target-unmatched  /elsewhere/adapter_config.json target_modules: 'x,y:z'
      message of LORA101
      fix: hint of LORA101

Found 2 errors, 1 warning, 1 info in 3 targets: LORA101 ×2, LORA105, LORA301.
"""


def test_text_groups_each_targets_findings_by_severity_with_notes_attachments_and_summary() -> None:
    assert render_text(TextReporter, sample_report()) == EXPECTED


def test_text_says_no_problems_for_a_clean_target() -> None:
    out = render_text(TextReporter, Report(targets=("train.py:build",)))
    assert out == "train.py:build\n  no problems found\n\nNo problems found in 1 target.\n"


def test_text_colours_only_when_asked_and_plain_text_is_the_same_words() -> None:
    coloured = render_text(TextReporter, sample_report(), color=True)
    assert "\x1b[31m" in coloured and "\x1b[33m" in coloured  # red errors, yellow warnings
    import click

    assert click.unstyle(coloured) == EXPECTED


@pytest.mark.parametrize(
    ("env", "isatty", "expected"),
    [({}, False, False), ({}, True, True), ({"NO_COLOR": "1"}, True, False), ({"FORCE_COLOR": "1"}, False, True)],
)
def test_colour_follows_the_terminal_and_the_colour_variables(monkeypatch, env, isatty, expected) -> None:
    monkeypatch.delenv("NO_COLOR", raising=False)
    monkeypatch.delenv("FORCE_COLOR", raising=False)
    for key, value in env.items():
        monkeypatch.setenv(key, value)

    class Stream(io.StringIO):
        def isatty(self) -> bool:
            return isatty

    assert use_color(Stream()) is expected
