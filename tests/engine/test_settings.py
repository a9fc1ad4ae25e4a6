"""Settings: defaults < ``[tool.lora-lint]`` in pyproject.toml < command line, with usage errors naming the key."""

from __future__ import annotations

import textwrap

import pytest

from lora_lint.errors import UsageError
from lora_lint.settings import Settings, find_pyproject, settings_from_pyproject


def _pyproject(tmp_path, body: str):
    path = tmp_path / "pyproject.toml"
    path.write_text(textwrap.dedent(body))
    return path


def test_every_known_key_is_read_and_converted(tmp_path) -> None:
    path = _pyproject(
        tmp_path,
        """
        [project]
        name = "training-repo"

        [tool.lora-lint]
        select = ["lora1", "LORA3"]
        ignore = "LORA105, LORA302"
        extend-select = ["LORA401"]
        fail-on = "warning"
        probe = false
        device = "cpu"
        intent = "inference"
        alpha-ratio-min = 1
        alpha-ratio-max = 16.5
        dropout-warn = 0.3
        """,
    )
    settings = settings_from_pyproject(path)
    assert settings == Settings(
        select=("LORA1", "LORA3"),
        ignore=("LORA105", "LORA302"),
        extend_select=("LORA401",),
        fail_on="warning",
        probe=False,
        device="cpu",
        intent="inference",
        alpha_ratio_min=1.0,
        alpha_ratio_max=16.5,
        dropout_warn=0.3,
    )
    assert isinstance(settings.alpha_ratio_min, float)
    assert settings.sources == (str(path),)


def test_a_pyproject_without_the_table_gives_the_defaults(tmp_path) -> None:
    path = _pyproject(tmp_path, '[tool.ruff]\nline-length = 100\n')
    assert settings_from_pyproject(path) == Settings()


def test_an_unknown_key_is_a_usage_error_that_names_it_and_the_known_keys(tmp_path) -> None:
    path = _pyproject(tmp_path, '[tool.lora-lint]\nfail_on = "warning"\n')
    with pytest.raises(UsageError) as info:
        settings_from_pyproject(path)
    message = str(info.value)
    assert str(path) in message and "unknown key 'fail_on'" in message and "fail-on" in message


@pytest.mark.parametrize(
    ("line", "key"),
    [
        ("select = 3", "select"),
        ("ignore = [1, 2]", "ignore"),
        ('probe = "no"', "probe"),
        ("fail-on = 1", "fail-on"),
        ("alpha-ratio-min = true", "alpha-ratio-min"),
        ('dropout-warn = "0.5"', "dropout-warn"),
    ],
)
def test_a_wrong_type_is_a_usage_error_naming_the_key(tmp_path, line: str, key: str) -> None:
    path = _pyproject(tmp_path, f"[tool.lora-lint]\n{line}\n")
    with pytest.raises(UsageError, match=rf"\[tool.lora-lint\] {key} has the wrong type"):
        settings_from_pyproject(path)


@pytest.mark.parametrize(
    ("line", "phrase"),
    [
        ('fail-on = "sometimes"', "fail-on must be one of error, warning, info, never"),
        ('intent = "eval"', "intent must be one of training, inference"),
        ("alpha-ratio-min = 9", "alpha-ratio-min (9.0) must not exceed alpha-ratio-max (8.0)"),
    ],
)
def test_a_bad_value_is_a_usage_error_naming_the_file(tmp_path, line: str, phrase: str) -> None:
    path = _pyproject(tmp_path, f"[tool.lora-lint]\n{line}\n")
    with pytest.raises(UsageError) as info:
        settings_from_pyproject(path)
    assert str(info.value).startswith(f"{path}: ") and phrase in str(info.value)


def test_an_unreadable_pyproject_is_a_usage_error(tmp_path) -> None:
    path = _pyproject(tmp_path, "[tool.lora-lint\nselect = \n")
    with pytest.raises(UsageError, match="cannot read"):
        settings_from_pyproject(path)


def test_the_table_must_be_a_table(tmp_path) -> None:
    path = _pyproject(tmp_path, '[tool]\nlora-lint = "LORA1"\n')
    with pytest.raises(UsageError, match="must be a table"):
        settings_from_pyproject(path)


def test_the_nearest_pyproject_at_or_above_the_folder_is_found(tmp_path) -> None:
    outer = _pyproject(tmp_path, "[tool.lora-lint]\n")
    inner_dir = tmp_path / "pkg" / "sub"
    inner_dir.mkdir(parents=True)
    assert find_pyproject(inner_dir) == outer.resolve()
    inner = _pyproject(tmp_path / "pkg", "[tool.lora-lint]\n")
    assert find_pyproject(inner_dir) == inner.resolve()


def test_command_line_values_win_over_pyproject_and_none_keeps_them(tmp_path) -> None:
    path = _pyproject(tmp_path, '[tool.lora-lint]\nselect = ["LORA1"]\nfail-on = "warning"\nprobe = false\n')
    from_file = settings_from_pyproject(path)
    merged = from_file.merged(select="lora3,LORA4", fail_on=None, probe=None, device="cpu")
    assert merged.select == ("LORA3", "LORA4")
    assert (merged.fail_on, merged.probe, merged.device) == ("warning", False, "cpu")
    assert merged.sources == from_file.sources
    assert from_file.select == ("LORA1",)  # merged() returns a copy


def test_merged_validates_like_the_constructor() -> None:
    with pytest.raises(UsageError, match="fail-on must be one of"):
        Settings().merged(fail_on="warn")
    with pytest.raises(UsageError, match="unknown setting 'fail_onn'"):
        Settings().merged(fail_onn="warning")
