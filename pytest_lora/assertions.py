"""``assert_*`` helpers: each runs a few lora-lint rules and fails with the layers at fault and the fix.

Each helper fails on a finding of its rules at ``warning`` or above (``info`` never fails) and
raises ``AssertionError``, so pytest shows the message alone: the frames in here are hidden. A helper
whose rules cannot run on the given model (e.g. the probe on a meta-device model) fails too, saying
why: a check that could not run proves nothing.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from lora_lint.context import Setup
from lora_lint.errors import LoraLintError
from lora_lint.report import Report
from lora_lint.rules._base import NEED_LABELS, Needs
from lora_lint.settings import Settings
from pytest_lora.state import current_item, current_settings, run_state

__all__ = [
    "assert_adapters_receive_grad",
    "assert_adapters_trainable",
    "assert_alpha_ratio",
    "assert_base_frozen",
    "assert_matches_lock",
    "assert_scaling_consistent",
    "assert_targets_matched",
    "assert_trainer_learns",
]

TARGETING = ("LORA101", "LORA102", "LORA103")
BASE_FROZEN = ("LORA201",)
TRAINABLE = ("LORA202", "LORA204", "LORA205")
ALPHA_RATIO = ("LORA301",)
SCALING = ("LORA303",)
GRADIENT = ("LORA401", "LORA402", "LORA403")
FIRST_STEP = ("LORA406", "LORA407")


def assert_targets_matched(model: Any) -> None:
    """Every ``target_modules`` entry adapts a layer, is matched the way it reads, and every
    ``modules_to_save``/``exclude_modules``/pattern entry matches something (LORA101-103)."""
    __tracebackhide__ = True
    _assert_rules("assert_targets_matched", model, TARGETING)


def assert_base_frozen(model: Any) -> None:
    """No base-model parameter trains unless the config declares it (LORA201)."""
    __tracebackhide__ = True
    _assert_rules("assert_base_frozen", model, BASE_FROZEN)


def assert_adapters_trainable(model: Any) -> None:
    """The model holds LoRA layers, the adapter to train is trainable and active (LORA202, 204, 205)."""
    __tracebackhide__ = True
    _assert_rules("assert_adapters_trainable", model, TRAINABLE)


def assert_alpha_ratio(model: Any, low: float | None = None, high: float | None = None) -> None:
    """Every layer's effective scale (alpha/r, alpha/sqrt(r) with rsLoRA) lies in ``[low, high]`` (LORA301).

    Without ``low``/``high`` the band comes from ``[tool.lora-lint]`` (default 0.25 to 8).
    """
    __tracebackhide__ = True
    _assert_rules("assert_alpha_ratio", model, ALPHA_RATIO, alpha_ratio_min=low, alpha_ratio_max=high)


def assert_scaling_consistent(model: Any) -> None:
    """Every layer's live scaling agrees with its config: what gets saved is what trains (LORA303)."""
    __tracebackhide__ = True
    _assert_rules("assert_scaling_consistent", model, SCALING)


def assert_adapters_receive_grad(model: Any, batch: Any = None) -> None:
    """One forward/backward pass reaches every adapter layer with a finite gradient (LORA401-403).

    Without ``batch`` the probe builds a small one; the model is left exactly as it was.
    """
    __tracebackhide__ = True
    _assert_rules("assert_adapters_receive_grad", model, GRADIENT, batch=batch, probe=True)


def assert_trainer_learns(trainer: Any) -> None:
    """One real optimizer step of ``trainer`` changes every adapter layer and no undeclared base weight
    (LORA406/407).

    The step uses the trainer's own first batch, loss and optimizer (built the way ``train()`` builds
    it when there is none yet); weights, gradients, optimizer state, RNG and ``trainer.state`` are
    put back afterwards, so ``trainer.train()`` runs as if the check had not happened.
    """
    __tracebackhide__ = True
    from lora_lint.integrations.peek import unwrap_model
    from lora_lint.integrations.trainer_step import measure_first_step

    try:
        facts = measure_first_step(trainer)
    except LoraLintError as exc:
        raise AssertionError(f"assert_trainer_learns: {exc}") from None
    model = unwrap_model(trainer.model)
    setup = Setup(target=f"<{type(trainer).__name__}>", model=model, first_step=facts)
    _assert_rules("assert_trainer_learns", setup, FIRST_STEP)


def assert_matches_lock(model_or_path: Any, lock: str | os.PathLike[str]) -> None:
    """The adapter's r, lora_alpha, use_rslora, patterns and targets are still those of its lock (LORA304).

    ``model_or_path`` is a live PeftModel, an adapter folder or a run folder; a relative ``lock`` is
    read next to the test file. Like a snapshot: ``pytest --lora-update-locks`` writes the lock (or
    rewrites one that no longer matches) instead of failing; review the file and commit it.
    """
    __tracebackhide__ = True
    from lora_lint import lock as locks
    from pytest_lora.lock_updates import update_lock

    item = current_item()
    path = Path(lock)
    if not path.is_absolute() and item is not None:
        path = item.path.parent / path
    state = run_state(item.config) if item is not None else None
    try:
        if state is not None and state.update_locks:
            update_lock(state, model_or_path, path, _lock_holds)
            return
        if not path.is_file():
            raise AssertionError(
                f"assert_matches_lock: lock file {path} does not exist. Run pytest with --lora-update-locks "
                "to record it from this setup, then review and commit it."
            )
        message = failure_message("assert_matches_lock", locks.check_lock(model_or_path, path))
    except LoraLintError as exc:
        raise AssertionError(f"assert_matches_lock: {exc}") from None
    if message is not None:
        raise AssertionError(f"{message}\nIf the change is intended, run pytest with --lora-update-locks to re-record {path}.")


def _lock_holds(source: Any, path: Path) -> bool:
    """True when ``path`` is a readable lock that ``source`` matches (then an update leaves it alone)."""
    from lora_lint import lock as locks

    if not path.is_file():
        return False
    try:
        return not locks.check_lock(source, path).failing("warning")
    except LoraLintError:  # a malformed lock is rewritten
        return False


def lint_codes(
    helper: str, model: Any, codes: Sequence[str], *, batch: Any = None, probe: bool = False, **thresholds: Any
) -> Report:
    """Lint ``model`` with exactly ``codes`` (the test's ignore list does not apply to an explicit helper)."""
    __tracebackhide__ = True
    from lora_lint.api import as_setup
    from lora_lint.linting import Linter

    settings = current_settings().merged(
        select=codes, ignore=(), extend_select=(), probe=probe, intent="training", **thresholds
    )
    linter = Linter()
    rules = linter.registry.rules
    missing = [c for c in codes if c not in rules]
    if missing:
        raise RuntimeError(f"{helper} needs rule(s) {', '.join(missing)}, which no installed lora-lint plugin registers")
    setup = as_setup(model, batch)  # TypeError for what is not a model
    _require_runnable(helper, setup, {c: rules[c].needs for c in codes}, settings)
    return linter.lint((), settings, setups=[setup])


def failure_message(helper: str, report: Report, fail_on: str = "warning") -> str | None:
    """The helper's failure text (findings with fixes, then attachments such as the gradient table)."""
    failing = report.failing(fail_on)
    if not failing:
        return None
    where = ", ".join(report.targets) or "the model"
    parts = [f"{helper}: {len(failing)} problem(s) in {where}", report.format_findings(failing)]
    parts.extend(f"{a.title}:\n{a.text}" for a in report.attachments)
    return "\n".join(parts)


def _assert_rules(helper: str, model: Any, codes: Sequence[str], **kwargs: Any) -> None:
    __tracebackhide__ = True
    message = failure_message(helper, lint_codes(helper, model, codes, **kwargs))
    if message is not None:
        raise AssertionError(message)


def _require_runnable(helper: str, setup: Setup, needs: dict[str, Needs], settings: Settings) -> None:
    __tracebackhide__ = True
    have = setup.provides(settings)
    lacking = {code: need & ~have for code, need in needs.items() if need & ~have}
    if not lacking:
        return
    reasons = sorted({label for missing in lacking.values() for n, label in NEED_LABELS.items() if n in missing})
    raise AssertionError(f"{helper}: cannot check {', '.join(lacking)} on this model: needs {'; '.join(reasons)}")
