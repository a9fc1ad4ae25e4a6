"""Counted nouns agree with their numbers, and hints shown by the CLI use its option spelling."""

from __future__ import annotations

import pytest

from lora_lint.findings import Note
from lora_lint.report import Report
from lora_lint.reporters.text import TextReporter
from lora_lint.wording import for_command_line, plural, verb
from tests.reporters.helpers import finding, render_text


@pytest.mark.parametrize(("n", "expected"), [(0, "0 tensors"), (1, "1 tensor"), (2, "2 tensors")])
def test_plural_agrees_with_the_count(n: int, expected: str) -> None:
    assert plural(n, "tensor") == expected


def test_plural_takes_an_irregular_form_and_verbs_agree() -> None:
    assert plural(3, "entry", "entries") == "3 entries"
    assert [verb(1, "gets"), verb(2, "gets"), verb(2, "is"), verb(2, "does"), verb(1, "was")] == ["gets", "get", "are", "do", "was"]


def test_the_python_intent_argument_becomes_the_cli_option() -> None:
    assert for_command_line('lint with intent="inference".') == "lint with --intent inference."
    assert for_command_line("skipped training-only rules for intent=inference: LORA202") == (
        "skipped training-only rules for --intent inference: LORA202"
    )
    assert for_command_line("set inference_mode=False") == "set inference_mode=False"


def test_reporters_show_hints_and_notes_in_the_cli_spelling() -> None:
    f = finding(file="train.py", line=3)
    f = type(f)(**{**f.__dict__, "hint": 'if it is meant for inference, lint with intent="inference".'})
    report = Report((f,), (Note("skipped training-only rules for intent=inference: LORA202", f.target),), targets=(f.target,))
    out = render_text(TextReporter, report)
    assert "lint with --intent inference." in out
    assert "for --intent inference: LORA202" in out
    assert "intent=" not in out
