"""Where a config field is written: factory sources (ast), JSON and YAML files; and findings that use it."""

from __future__ import annotations

import json
import textwrap
from pathlib import Path

import pytest

from lora_lint import lint
from lora_lint.context import Setup
from lora_lint.findings import Location
from lora_lint.sources.source_lines import field_lines, parse_setting, setting_line

FACTORY = '''\
from peft import LoraConfig

SHARED = LoraConfig(r=4, lora_alpha=8, target_modules=["k_proj"])
OTHER = LoraConfig(lora_dropout=0.9)


def build():
    config = LoraConfig(
        r=8,
        lora_alpha=16,
        target_modules=[
            "q_proj",
            "value",
        ],
        rank_pattern={"v_proj": 4},
    )
    config.lora_alpha = 64
    return config


@decorated
def uses_shared():
    return SHARED


def writes_nothing():
    return make()
'''


def write(path: Path, text: str) -> Path:
    path.write_text(text)
    return path


@pytest.mark.parametrize(
    ("setting", "parsed"),
    [
        ("target_modules: 'value'", [("target_modules", "value")]),
        ("rank_pattern['q_proj']", [("rank_pattern", "q_proj")]),
        ("r, lora_alpha", [("r", None), ("lora_alpha", None)]),
        ("lora_alpha: -16", [("lora_alpha", None)]),
        ("modules_to_save: ['classifier', 'score']", [("modules_to_save", None)]),
        ("not a setting!", []),
    ],
)
def test_a_setting_names_its_fields_and_entry(setting: str, parsed: list[tuple[str, str | None]]) -> None:
    assert parse_setting(setting) == parsed


def test_a_factory_setting_points_at_its_keyword_its_entry_or_its_last_assignment(tmp_path: Path) -> None:
    f = write(tmp_path / "train.py", FACTORY)
    assert setting_line(f, "target_modules: 'value'", 7) == 13
    assert setting_line(f, "target_modules: 'q_proj'", 7) == 12
    assert setting_line(f, "target_modules: 'k_proj'", 7) == 11  # not in this factory's list: the keyword
    assert setting_line(f, "rank_pattern['v_proj']", 7) == 15
    assert setting_line(f, "r, lora_alpha", 7) == 9
    assert setting_line(f, "lora_alpha: 64", 7) == 17  # edited after the call: the edit holds the value
    assert setting_line(f, "lora_dropout: 0.9", 7) is None  # OTHER is not used by build


def test_a_module_level_config_the_factory_uses_is_found_from_its_decorator_line(tmp_path: Path) -> None:
    f = write(tmp_path / "train.py", FACTORY)
    assert setting_line(f, "target_modules: 'k_proj'", 21) == 3
    assert setting_line(f, "target_modules: 'k_proj'", 22) is None  # 22 is the def, not the first line
    assert setting_line(f, "target_modules", 26) is None  # nothing written: the caller keeps the def line


def test_json_keys_and_entries_have_their_lines(tmp_path: Path) -> None:
    data = {"r": 8, "target_modules": ["q_proj", "v_proj"], "rank_pattern": {"v_proj": 4}, "bias": "none"}
    f = write(tmp_path / "adapter_config.json", json.dumps(data, indent=2))
    lines = field_lines(f)
    assert dict(lines.fields) == {"r": 2, "target_modules": 3, "rank_pattern": 7, "bias": 10}
    assert setting_line(f, "target_modules: 'v_proj'") == 5
    assert setting_line(f, "rank_pattern['v_proj']") == 8
    assert setting_line(f, "bias: 'none'") == 10
    one_line = write(tmp_path / "one.json", '{"r": 8, "target_modules": ["q_proj", "v_\\u0070roj"]}')
    assert setting_line(one_line, "target_modules: 'v_proj'") == 1


def test_yaml_keys_and_entries_have_their_lines(tmp_path: Path) -> None:
    text = "# LoRA\nr: 8\ntarget_modules:\n  - q_proj\n  - value\nrank_pattern: {v_proj: 4}\nlora_dropout: 0.05\n"
    f = write(tmp_path / "lora.yaml", text)
    assert setting_line(f, "target_modules: 'value'") == 5
    assert setting_line(f, "rank_pattern['v_proj']") == 6
    assert setting_line(f, "lora_dropout: 0.05") == 7


@pytest.mark.parametrize(
    ("name", "text"),
    [
        ("broken.json", '{"r": 8, "target_modules": ["q_proj", '),
        ("list.json", '["r"]'),
        ("broken.yaml", "r: [8\n"),
        ("scalar.yaml", "just text\n"),
        ("broken.py", "def build(:\n"),
    ],
)
def test_unreadable_sources_have_no_lines_rather_than_an_error(tmp_path: Path, name: str, text: str) -> None:
    f = write(tmp_path / name, text)
    assert setting_line(f, "target_modules: 'q_proj'", 1) is None
    assert setting_line(tmp_path / "missing.json", "r") is None


def test_a_rewritten_file_is_read_again(tmp_path: Path) -> None:
    f = write(tmp_path / "lora.json", '{"r": 8}')
    assert setting_line(f, "r") == 1
    write(f, '{\n  "lora_alpha": 16,\n  "r": 8\n}')
    assert setting_line(f, "r") == 3


def test_a_config_file_finding_points_at_the_key_and_the_def_line_stays_the_fallback(tmp_path: Path) -> None:
    config = write(tmp_path / "lora.yaml", "r: 2\n\nlora_alpha: -4\ntarget_modules: [q_proj]\n")
    setup = Setup(
        target=str(config),
        lora_configs={"default": {"r": 2, "lora_alpha": -4, "target_modules": ["q_proj"]}},
        weights=False,
        origin=Location(file=str(config)),
    )
    (finding,) = lint(setup, probe=False, select=["LORA306"]).findings
    assert (finding.location.file, finding.location.line) == (str(config), 3)
    factory = write(tmp_path / "train.py", textwrap.dedent(FACTORY))
    setup = Setup(
        target=f"{factory}:writes_nothing",
        lora_configs={"default": {"r": 2, "lora_alpha": -4, "target_modules": ["q_proj"]}},
        weights=False,
        origin=Location(file=str(factory), line=26),
    )
    (finding,) = lint(setup, probe=False, select=["LORA306"]).findings
    assert finding.location.line == 26
