"""CI runs exactly the test commands the README shows, one per supported set, and the README's
"Supported versions" table names the pins those commands install."""

from __future__ import annotations

import re
import shlex
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _readme_section(title: str) -> str:
    text = (ROOT / "README.md").read_text()
    start = text.index(f"## {title}\n")
    end = text.find("\n## ", start + 1)
    return text[start:] if end < 0 else text[start:end]


def _readme_test_commands() -> list[str]:
    block = re.search(r"```bash\n(.*?)```", _readme_section("Running the tests"), re.S)
    assert block, "README's 'Running the tests' has no bash block"
    return [line for line in block.group(1).splitlines() if line.strip()]


def _ci_commands() -> list[str]:
    lines = (ROOT / ".ci" / "run").read_text().splitlines()
    return [shlex.split(line)[2] for line in lines if line.startswith("row ")]


def test_ci_runs_exactly_the_readme_test_commands() -> None:
    assert _ci_commands() == _readme_test_commands()
    assert len(_ci_commands()) == 2


def test_every_row_uses_its_own_venv_and_a_constraints_file_in_the_repository() -> None:
    commands = _ci_commands()
    venvs = [re.search(r"-m venv (\S+)", c).group(1) for c in commands]  # type: ignore[union-attr]
    assert len(set(venvs)) == len(venvs)
    for command in commands:
        constraints = re.search(r"-c (\S+)", command).group(1)  # type: ignore[union-attr]
        assert (ROOT / constraints).is_file(), constraints
        assert "torch==" in (ROOT / constraints).read_text(), f"{constraints} must pin the CPU torch"


def test_the_supported_versions_table_matches_the_legacy_pins() -> None:
    pins = dict(
        line.split("==") for line in (ROOT / "constraints-legacy.txt").read_text().splitlines() if "==" in line
    )
    legacy = next(line for line in _readme_section("Supported versions").splitlines() if line.startswith("| legacy"))
    cells = [cell.strip() for cell in legacy.strip("|").split("|")]
    assert cells[2:5] == [pins["torch"], pins["transformers"], pins["peft"]]


def test_declared_lower_bounds_are_the_tested_legacy_pins() -> None:
    import tomllib

    pins = dict(
        line.split("==") for line in (ROOT / "constraints-legacy.txt").read_text().splitlines() if "==" in line
    )
    declared = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["dependencies"]
    for name in ("torch", "transformers", "peft"):
        bound = next(dep for dep in declared if re.match(rf"{name}\b", dep))
        low = bound.split(">=")[1]
        assert pins[name].split(".")[: len(low.split("."))] == low.split("."), (bound, pins[name])
