"""Select and ignore by code or prefix: the longest prefix wins, explicit beats implicit, extend_select adds."""

from __future__ import annotations

import pytest

from lora_lint import lint
from lora_lint.engine import selected_rules
from lora_lint.linting import Linter
from lora_lint.selection import is_selected, normalise_codes
from lora_lint.settings import Settings
from tests.tiny_models import llama, lora

DECISIONS = [
    # (code, select, ignore, extend_select, selected)
    ("LORA101", None, None, None, True),
    ("LORA101", ["LORA1"], None, None, True),
    ("LORA301", ["LORA1"], None, None, False),
    ("LORA301", None, ["LORA3"], None, False),
    ("LORA101", None, ["LORA3"], None, True),
    ("LORA101", None, ["LORA"], None, False),  # an explicit ignore beats the implicit selection
    ("LORA101", ["LORA"], ["LORA"], None, True),  # on a tie the explicit selection wins
    ("LORA101", ["LORA1"], ["LORA1"], None, True),
    ("LORA301", ["LORA3"], ["LORA30"], None, False),  # the longer ignore wins
    ("LORA301", ["LORA3"], ["LORA30"], ["LORA301"], True),  # ... until a longer selection
    ("LORA311", ["LORA3"], ["LORA30"], ["LORA301"], True),
    ("LORA302", ["LORA3"], ["LORA30"], ["LORA301"], False),
    ("LORA301", ["LORA301"], ["LORA3"], None, True),
    ("LORA401", None, ["LORA4"], ["LORA401"], True),  # extend_select re-enables one code of an ignored family
    ("LORA402", None, ["LORA4"], ["LORA401"], False),
    ("LORA201", ["LORA1"], None, ["LORA2"], True),  # extend_select adds to an explicit select
    ("LORA201", None, None, ["LORA1"], True),  # and leaves the implicit selection in place
    ("LORA101", ["lora1"], None, None, True),  # case does not matter
    ("LORA101", "LORA3, LORA1", None, None, True),  # a comma-separated string
    ("LORA101", ["LORA10"], ["LORA1"], None, True),
    ("LORA110", ["LORA10"], None, None, False),
]


@pytest.mark.parametrize(("code", "select", "ignore", "extend", "expected"), DECISIONS)
def test_is_selected_decides_by_the_longest_matching_prefix(code, select, ignore, extend, expected) -> None:
    assert is_selected(code, select, ignore, extend) is expected


@pytest.mark.parametrize(
    ("given", "normalised"),
    [
        (None, ()),
        ("", ()),
        ("LORA1", ("LORA1",)),
        (" lora1 , LORA301,, ", ("LORA1", "LORA301")),
        (["lora4", " LORA5 ", ""], ("LORA4", "LORA5")),
        (("LORA1",), ("LORA1",)),
    ],
)
def test_codes_are_normalised_from_strings_and_lists(given, normalised) -> None:
    assert normalise_codes(given) == normalised


def test_the_engine_runs_only_the_selected_rules() -> None:
    rules = Linter().registry.rules.values()
    chosen = [r.code for r in selected_rules(rules, Settings(select=("LORA1",), ignore=("LORA105",)))]
    assert chosen == sorted(chosen)
    assert chosen and all(c.startswith("LORA1") for c in chosen)
    assert "LORA101" in chosen and "LORA105" not in chosen
    extended = [r.code for r in selected_rules(rules, Settings(select=("LORA1",), extend_select=("LORA301",)))]
    assert set(extended) == {*chosen, "LORA105", "LORA301"}


def test_select_and_ignore_reach_a_real_lint() -> None:
    model = lora(llama(), target_modules=["q_proj", "query"], modules_to_save=["head"])
    assert lint(model, probe=False, select=["LORA1"]).codes == {"LORA101", "LORA104"}
    assert lint(model, probe=False, select=["LORA1"], ignore=["LORA104"]).codes == {"LORA101"}
    assert lint(model, probe=False, select=["LORA2"], extend_select=["LORA101"]).codes >= {"LORA101"}
    assert not lint(model, probe=False, ignore=["LORA"]).findings


def test_a_report_can_be_narrowed_after_the_fact() -> None:
    report = lint(lora(llama(), target_modules=["q_proj", "query"], modules_to_save=["head"]), probe=False,
                  select=["LORA1"])
    assert report.select(ignore=["LORA101"]).codes == {"LORA104"}
    assert report.select(select=["LORA101"]).codes == {"LORA101"}
    assert report.select(select=["LORA101"]).targets == report.targets
