"""Suppression as a user writes it: ignore comments (line, def, YAML), per-module-ignores, stale ones, --add-ignore."""

from __future__ import annotations

import json
from pathlib import Path

from tests.cli.conftest import REPO, run_cli

#: the factories written here import tests.tiny_models
_REPO_ON_PATH = {"PYTHONPATH": str(REPO)}


def _cli(*args: str, **kwargs: object) -> object:
    """``run_cli`` with this repository importable, as the factories here need."""
    kwargs.setdefault("env", _REPO_ON_PATH)
    return run_cli(*args, **kwargs)  # type: ignore[arg-type]

FACTORY = """
from tests.tiny_models import llama, lora


def build():{def_comment}
    return lora(llama(), lora_alpha={alpha})  {line_comment}
"""


def factory(tmp_path: Path, alpha: int = 512, def_comment: str = "", line_comment: str = "") -> str:
    path = tmp_path / "train.py"
    path.write_text(FACTORY.format(alpha=alpha, def_comment=def_comment, line_comment=line_comment))
    return f"{path}:build"


def findings(*args: str, cwd: Path = REPO) -> tuple[int, list[dict[str, object]]]:
    run = _cli("check", *args, "--no-probe", "--format", "json", "--fail-on", "info", cwd=cwd)
    assert run.rc in (0, 1), run.err
    return run.rc, json.loads(run.out)["findings"]


def codes(found: list[dict[str, object]]) -> list[object]:
    return [f["code"] for f in found]


def test_without_a_comment_the_alpha_finding_fires(tmp_path: Path) -> None:
    rc, found = findings(factory(tmp_path))
    assert (rc, codes(found)) == (1, ["LORA301"])
    assert found[0]["location"]["line"] == 6  # type: ignore[index]


def test_a_comment_on_the_line_the_finding_points_at_drops_it(tmp_path: Path) -> None:
    rc, found = findings(factory(tmp_path, line_comment="# lora-lint: ignore[LORA301]"))
    assert (rc, found) == (0, [])


def test_a_comment_naming_another_code_drops_nothing(tmp_path: Path) -> None:
    _, found = findings(factory(tmp_path, line_comment="# lora-lint: ignore[LORA105]"))
    assert sorted(codes(found)) == ["LORA107", "LORA301"]


def test_a_bare_comment_on_the_def_line_drops_every_finding_of_the_factory(tmp_path: Path) -> None:
    rc, found = findings(factory(tmp_path, def_comment="  # lora-lint: ignore"))
    assert (rc, found) == (0, [])


def test_a_comment_in_a_yaml_lora_config_drops_its_finding(tmp_path: Path, gpt2_config_dir: Path) -> None:
    config = tmp_path / "lora.yaml"
    config.write_text("r: 8  # lora-lint: ignore[LORA301]\nlora_alpha: 512\ntarget_modules: [c_attn]\n")
    rc, found = findings("--model", str(gpt2_config_dir), "--lora-config", str(config))
    assert (rc, found) == (0, [])
    config.write_text("r: 8\nlora_alpha: 512\ntarget_modules: [c_attn]\n")
    _, found = findings("--model", str(gpt2_config_dir), "--lora-config", str(config))
    assert codes(found) == ["LORA301"]


def test_per_module_ignores_drop_findings_on_matching_modules_only(tmp_path: Path) -> None:
    target = factory(tmp_path)
    pyproject = tmp_path / "pyproject.toml"
    pyproject.write_text('[tool.lora-lint.per-module-ignores]\n"*.self_attn.*" = ["LORA301"]\n')
    rc, found = findings(target, cwd=tmp_path)
    assert (rc, found) == (0, [])
    pyproject.write_text('[tool.lora-lint.per-module-ignores]\n"*.mlp.*" = ["LORA301"]\n')
    _, found = findings(target, cwd=tmp_path)
    assert sorted(codes(found)) == ["LORA107", "LORA301"]


def test_a_per_module_entry_that_matched_nothing_points_at_its_pyproject_line(tmp_path: Path) -> None:
    target = factory(tmp_path, alpha=16)
    pyproject = tmp_path / "pyproject.toml"
    pyproject.write_text('[tool.lora-lint]\nfail-on = "error"\n\n[tool.lora-lint.per-module-ignores]\n"*.vision_tower.*" = ["LORA105"]\n')
    _, found = findings(target, cwd=tmp_path)
    assert codes(found) == ["LORA107"]
    assert found[0]["location"] == {  # type: ignore[comparison-overlap]
        "module": None, "parameter": None, "adapter": None, "file": "pyproject.toml", "line": 5,
        "setting": "per-module-ignores: '*.vision_tower.*'",
    }
    assert "'*.vision_tower.*' matched no finding of LORA105" in str(found[0]["message"])


def test_a_stale_or_misspelt_suppression_is_reported_as_info(tmp_path: Path) -> None:
    target = factory(tmp_path, alpha=16, def_comment="  # lora-lint: ignore[LORA301, LORA3O1]")
    run = _cli("check", target, "--no-probe")
    assert run.rc == 0, run.out + run.err  # info: below the default fail-on
    assert "LORA107 unused-suppression" in run.out and "train.py:5" in run.out
    assert "matched no finding of LORA301" in run.out and "LORA3O1 is not a rule code" in run.out
    assert _cli("check", target, "--no-probe", "--ignore", "LORA107", "--fail-on", "info").rc == 0


def test_a_code_that_did_not_run_is_not_called_unused(tmp_path: Path) -> None:
    target = factory(tmp_path, alpha=16, line_comment="# lora-lint: ignore[LORA301]")
    rc, found = findings(target, "--select", "LORA1")
    assert (rc, found) == (0, [])


def test_add_ignore_writes_comments_and_the_next_check_is_clean(tmp_path: Path) -> None:
    source = tmp_path / "train.py"
    source.write_text(
        "from tests.tiny_models import llama, lora\n\n\n"
        "def build():\n"
        "    return lora(llama(), lora_alpha=512, target_modules=['q_proj', 'nope'])  # tiny Llama\n"
    )
    before = _cli("check", f"{source}:build", "--no-probe")
    assert before.rc == 1, before.out + before.err
    added = _cli("check", f"{source}:build", "--no-probe", "--add-ignore", "--fail-on", "info", cwd=tmp_path)
    assert added.rc == 0, added.out + added.err
    assert "added 1 ignore comment in 1 file" in added.err
    assert source.read_text().splitlines()[4].endswith("# tiny Llama  # lora-lint: ignore[LORA101, LORA301]")
    after = _cli("check", f"{source}:build", "--no-probe", "--fail-on", "info", cwd=tmp_path)
    assert after.rc == 0, after.out + after.err
    again = _cli("check", f"{source}:build", "--no-probe", "--add-ignore", cwd=tmp_path)
    assert "added 0 ignore comments" in again.err
    assert source.read_text().count("lora-lint: ignore") == 1


def test_add_ignore_comments_a_yaml_lora_config(tmp_path: Path, gpt2_config_dir: Path) -> None:
    config = tmp_path / "lora.yaml"
    config.write_text("r: 8\nlora_alpha: 512\ntarget_modules: [c_attn]\n")
    args = ("check", "--model", str(gpt2_config_dir), "--lora-config", "lora.yaml", "--no-probe")
    assert _cli(*args, "--add-ignore", cwd=tmp_path).rc == 0
    assert config.read_text().splitlines()[0] == "r: 8  # lora-lint: ignore[LORA301]"
    after = _cli(*args, "--fail-on", "info", cwd=tmp_path)
    assert after.rc == 0, after.out + after.err
