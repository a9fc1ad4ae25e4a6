"""Training run folders: checkpoints in step order, LORA304 at the first changed one, the per-checkpoint table."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from lora_lint import lint_targets
from lora_lint.linting import Linter
from lora_lint.report import Report
from lora_lint.settings import Settings
from lora_lint.sources.adapter_files import run_checkpoints
from lora_lint.sources.options import load_options
from tests.cli.conftest import run_cli
from tests.saved_adapters import copy_tree, edit_config, llama_base_dir, trained_llama, training_run


def lint_run(target: Path, **options: object) -> tuple[list, Report]:
    settings = Settings(probe=False, select=("LORA304", "LORA6"))
    linter = Linter()
    setups = linter.load(str(target), settings, load_options(options))
    return setups, linter.lint((), settings, setups=list(setups))


def make_run(tmp_path: Path, alphas: dict[int, int]) -> Path:
    """checkpoint-<step> copies of one trained adapter with the given lora_alpha each."""
    run = tmp_path / "run"
    for step, alpha in alphas.items():
        folder = copy_tree(trained_llama(), run / f"checkpoint-{step}")
        edit_config(folder, lora_alpha=alpha)
    return run


def test_checkpoints_are_ordered_by_step_not_by_name(tmp_path: Path) -> None:
    run = make_run(tmp_path, {100: 16, 20: 16, 3: 16})
    (run / "checkpoint-7").mkdir()  # no adapter inside: not a checkpoint of this run
    assert [p.name for p in run_checkpoints(run)] == ["checkpoint-3", "checkpoint-20", "checkpoint-100"]
    setups, _ = lint_run(run)
    assert [s.target for s in setups] == [f"{run}/checkpoint-3", f"{run}/checkpoint-20", f"{run}/checkpoint-100"]
    assert setups[-1].checkpoints == tuple(run_checkpoints(run))


def test_a_resumed_run_with_a_new_alpha_names_the_first_changed_checkpoint() -> None:
    _, report = lint_run(training_run(alphas=(16, 32, 32), steps=(10, 20, 30)))
    (finding,) = report.by_code("LORA304")
    assert finding.target.endswith("checkpoint-20")
    assert "checkpoint-20 differs from checkpoint-10" in finding.message
    assert "lora_alpha 16 -> 32" in finding.message and "doubles" in finding.message
    assert finding.location.file.endswith("checkpoint-20/adapter_config.json")


def test_a_consistent_run_is_quiet() -> None:
    _, report = lint_run(training_run(alphas=(16, 16, 16), steps=(10, 20, 30), final=True))
    assert not report.findings, report.format_findings()


def test_a_final_adapter_that_differs_from_its_last_checkpoint(tmp_path: Path) -> None:
    run = copy_tree(training_run(alphas=(16, 16), final=True), tmp_path / "run")
    edit_config(run, r=16, lora_alpha=16)
    _, report = lint_run(run)
    messages = [f.message for f in report.by_code("LORA304")]
    assert len(messages) == 1
    assert "the final adapter at" in messages[0] and "checkpoint-20, its last checkpoint" in messages[0]
    assert "r 8 -> 16" in messages[0] and "halves" in messages[0]
    assert report.by_code("LORA603")  # the r=8 tensors no longer fit the edited config


def test_every_scale_field_counts_as_a_change(tmp_path: Path) -> None:
    run = make_run(tmp_path, {10: 16, 20: 16})
    edit_config(run / "checkpoint-20", use_rslora=True)
    _, report = lint_run(run)
    (finding,) = report.by_code("LORA304")
    assert "use_rslora false -> true" in finding.message
    assert "alpha/sqrt(r)" in finding.message


def test_trl_style_adapter_subfolders_are_checkpoints(tmp_path: Path) -> None:
    run = tmp_path / "run"
    for step, alpha in ((5, 16), (10, 64)):
        copy_tree(trained_llama(), run / f"checkpoint-{step}" / "adapter")
        edit_config(run / f"checkpoint-{step}" / "adapter", lora_alpha=alpha)
    _, report = lint_run(run)
    (finding,) = report.by_code("LORA304")
    assert finding.target.endswith("checkpoint-10")
    assert "quadruples" in finding.message


def test_the_last_setup_carries_a_table_of_every_checkpoint() -> None:
    _, report = lint_run(training_run(alphas=(16, 32), steps=(10, 20)))
    (table,) = [a for a in report.attachments if a.title.startswith("training run")]
    rows = table.data["rows"]
    assert [(r["stage"], r["alpha"], r["scale"], r["r"]) for r in rows] == [
        ("checkpoint-10", 16, 2.0, 8),
        ("checkpoint-20", 32, 4.0, 8),
    ]
    assert all(r["update_norm"] > 0 for r in rows)
    assert rows[1]["update_norm"] > rows[0]["update_norm"]  # scaled twice as much, and trained further
    assert rows[0]["max_relative"] is None and "pass --model" in table.text
    assert "checkpoint-20" in table.text.splitlines()[2]


def test_with_the_base_the_table_shows_each_update_relative_to_its_layer() -> None:
    _, report = lint_run(training_run(alphas=(16, 16), steps=(10, 20)), model=str(llama_base_dir()))
    (table,) = report.attachments
    for row in table.data["rows"]:
        assert 0 < row["max_relative"] < 10
        assert row["max_layer"].startswith("model.layers.")


def test_the_cli_prints_the_table_and_a_lock_applies_to_the_final_adapter(tmp_path: Path) -> None:
    run = copy_tree(training_run(alphas=(16, 16), final=True), tmp_path / "run")
    written = run_cli("lock", str(run))
    assert written.rc == 0, written.err
    assert json.loads((run / "lora.lock.json").read_text())["adapters"]["default"]["config"]["lora_alpha"] == 16
    quiet = run_cli("check", str(run), "--lock", str(run / "lora.lock.json"), "--select", "LORA304")
    assert quiet.rc == 0, quiet.out + quiet.err
    assert "training run: scale, rank and learned update per checkpoint" in quiet.out
    edit_config(run, lora_alpha=32)
    loud = run_cli("check", str(run), "--lock", str(run / "lora.lock.json"), "--select", "LORA304", "--format", "json")
    assert loud.rc == 1
    findings = json.loads(loud.out)["findings"]
    kinds = sorted(f["evidence"]["kind"] for f in findings)
    assert kinds == ["final", "lock"]
    assert all(f["target"] == str(run) for f in findings)


def test_a_run_with_a_broken_checkpoint_exits_2(tmp_path: Path) -> None:
    run = make_run(tmp_path, {10: 16, 20: 16})
    (run / "checkpoint-20" / "adapter_config.json").write_text('{"r": 8, "lora_alpha"')
    result = run_cli("check", str(run))
    assert result.rc == 2 and "checkpoint-20/adapter_config.json" in result.err
    assert "Traceback" not in result.err
    shutil.rmtree(run)


def test_a_finding_every_checkpoint_repeats_is_reported_once_naming_the_others(tmp_path: Path) -> None:
    run = copy_tree(training_run(), tmp_path / "run")
    for checkpoint in run_checkpoints(run):
        edit_config(checkpoint, lora_alpha=128)  # scale 16 = alpha 128 / r 8 in both checkpoints
    settings = Settings(probe=False, select=("LORA101", "LORA301"))
    report = lint_targets([str(run)], settings)
    (finding,) = report.by_code("LORA301")
    assert finding.target.endswith("checkpoint-10")
    assert finding.message.endswith("(also in checkpoint-20)")
    assert finding.evidence["also_in"] == [f"{run}/checkpoint-20"]
    assert len([n for n in report.notes if n.code == "LORA101"]) == 1

    cli = run_cli("check", str(run), "--no-probe", "--format", "json")
    assert [f["code"] for f in json.loads(cli.out)["findings"]] == ["LORA301"]
    assert cli.rc == 0
